"""The side-effect check-in form."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..care.symptoms import (
    DIASTOLIC_RANGE,
    GRADED,
    HEART_RATE_RANGE,
    NOTE_MAX_LENGTH,
    SEVERITY_LABELS,
    SYSTOLIC_RANGE,
    YES_NO,
    Severity,
)
from ..fields import SmallIntegerField
from ..submissions import IDEMPOTENCY_KEY, LongLivedTokenForm, believable_time

# Red flags are asked first, so a patient in trouble finds them without scrolling.
URGENT_CODES = ("chest_pain", "trouble_breathing", "swelling", "fainting", "suicidal_thoughts")


def _vital(label: object, bounds: tuple[int, int], unit: object) -> SmallIntegerField:
    low, high = bounds
    return SmallIntegerField(
        label,
        validators=[
            Optional(),
            NumberRange(
                low,
                high,
                message=_l(
                    "Enter a number from %(low)s to %(high)s %(unit)s.",
                    low=low,
                    high=high,
                    unit=unit,
                ),
            ),
        ],
    )


class CheckInForm(LongLivedTokenForm):
    """The check-in; it may wait on the phone for hours before it is sent (see outbox.js)."""

    # The words on the monitor's screen, not "systolic" and "diastolic".
    systolic = _vital(_l("Top number"), SYSTOLIC_RANGE, "mmHg")
    diastolic = _vital(_l("Bottom number"), DIASTOLIC_RANGE, "mmHg")
    heart_rate = _vital(_l("Pulse"), HEART_RATE_RANGE, _l("beats a minute"))
    got_home_safely = RadioField(
        _l("Did a driver take you home safely?"),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
        validators=[Optional()],
    )
    slept = RadioField(
        _l("Did you sleep last night?"),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
        validators=[Optional()],
    )
    note = TextAreaField(
        _l("Anything else you want your care team to know? (optional)"),
        validators=[
            Optional(),
            Length(
                max=NOTE_MAX_LENGTH,
                message=_l("Keep it under %(most)s characters.", most=NOTE_MAX_LENGTH),
            ),
        ],
    )
    # "None of these" for the graded questions: only then does an unanswered one count as
    # "No". "I feel fine" (a submit button) says the same for the whole form in one tap.
    none_of_these = BooleanField(_l("None of these"))
    feel_fine = BooleanField(_l("I feel fine"))
    idempotency_key = HiddenField(
        validators=[
            InputRequired(message=_l("The form is missing its key. Please reload the page.")),
            Regexp(IDEMPOTENCY_KEY, message=_l("The form's key is not valid.")),
        ]
    )
    filled_at = HiddenField(validators=[Optional()])

    def validate(self, extra_validators: dict | None = None) -> bool:  # type: ignore[type-arg]
        valid = super().validate(extra_validators)
        if valid and not self.says_anything():
            # An empty form is a tap on "Send" by mistake, not a check-in that says "all well".
            self.feel_fine.errors = [
                *self.feel_fine.errors,
                _l("Tap “I feel fine”, or answer at least one question."),
            ]
            valid = False
        # Checked here, not in a field validator: Optional() stops those at an empty box.
        if not (self.systolic.errors or self.diastolic.errors):
            top, bottom = self.systolic.data, self.diastolic.data
            problem = None
            if (top is None) != (bottom is None):
                problem = _l("Enter both blood pressure numbers, or neither.")
            elif top is not None and bottom is not None and bottom >= top:
                problem = _l("The bottom number should be smaller than the top number.")
            if problem:
                self.diastolic.errors = [*self.diastolic.errors, problem]
                valid = False
        return valid

    def validate_filled_at(self, field: HiddenField) -> None:
        if field.data and self.filled_at_time() is None:
            raise ValidationError(_l("The time the form was filled in is not valid."))

    def filled_at_time(self) -> datetime | None:
        """When the patient filled in the form, if the phone said and it is believable."""
        return believable_time(self.filled_at.data)

    def says_all_the_rest_is_none(self) -> bool:
        """The patient tapped "I feel fine" or "None of these"."""
        return bool(self.feel_fine.data or self.none_of_these.data)

    def says_anything(self) -> bool:
        """Whether the form holds any answer at all."""
        return (
            self.says_all_the_rest_is_none()
            or any(self[s.code].data is not None for s in GRADED)
            or any(self[s.code].data for s in YES_NO)
            or any(
                field.data not in (None, "")
                for field in (self.systolic, self.diastolic, self.heart_rate, self.note)
            )
            or bool(self.slept.data or self.got_home_safely.data)
        )

    def severities(self) -> dict[str, int]:
        """Each symptom's answer as a number: 0-3 for graded ones, 0 or 1 for yes/no.

        A graded question left unanswered is left out (not answered is not "No"), unless the
        patient said "I feel fine" or "None of these". A box not ticked is a no.
        """
        none = self.says_all_the_rest_is_none()
        answers = {
            s.code: int(self[s.code].data if self[s.code].data is not None else Severity.NONE)
            for s in GRADED
            if self[s.code].data is not None or none
        }
        answers.update({s.code: int(bool(self[s.code].data)) for s in YES_NO})
        return answers

    def got_home(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.got_home_safely.data or "")

    def slept_last_night(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.slept.data or "")


_SEVERITY_CHOICES = [
    SelectChoice(int(level), _l(label)) for level, label in SEVERITY_LABELS.items()
]

for _symptom in GRADED:
    setattr(
        CheckInForm,
        _symptom.code,
        RadioField(
            _l(_symptom.label),
            choices=_SEVERITY_CHOICES,
            coerce=int,
            # No default: an answer the patient did not give must not look like "No".
            validators=[Optional()],
        ),
    )
for _symptom in YES_NO:
    setattr(CheckInForm, _symptom.code, BooleanField(_l(_symptom.label)))
