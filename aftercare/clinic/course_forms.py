"""The clinician's forms for the treatment course: planning it, and deciding on a booster."""

from __future__ import annotations

from wtforms import DateField, RadioField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..care.course import (
    DECISION_WORDS,
    DEFAULT_SERIES_COUNT,
    DEFAULT_SERIES_SPAN_DAYS,
    MAX_BOOSTER_EVERY_WEEKS,
    MAX_SERIES_COUNT,
    Decision,
    Maintenance,
)
from ..fields import Form, SmallIntegerField


class CourseForm(Form):
    series_count = SmallIntegerField(
        "Infusions in the initial series",
        default=DEFAULT_SERIES_COUNT,
        validators=[
            InputRequired(message="Enter how many infusions."),
            NumberRange(1, MAX_SERIES_COUNT, message=f"Enter from 1 to {MAX_SERIES_COUNT}."),
        ],
    )
    first_day = DateField(
        "First infusion on", validators=[InputRequired(message="Enter the date.")]
    )
    span_days = SmallIntegerField(
        "Days from the first infusion to the last",
        default=DEFAULT_SERIES_SPAN_DAYS,
        validators=[
            InputRequired(message="Enter the number of days."),
            NumberRange(0, 90, message="Enter from 0 to 90 days."),
        ],
    )
    maintenance = RadioField(
        "After the series",
        choices=[
            (Maintenance.AS_NEEDED.value, "Boosters as needed"),
            (Maintenance.EVERY_WEEKS.value, "A booster every few weeks"),
        ],
        default=Maintenance.AS_NEEDED.value,
        validators=[InputRequired()],
    )
    booster_every_weeks = SmallIntegerField(
        "Weeks between boosters",
        validators=[
            Optional(),
            NumberRange(
                1,
                MAX_BOOSTER_EVERY_WEEKS,
                message=f"Enter from 1 to {MAX_BOOSTER_EVERY_WEEKS} weeks.",
            ),
        ],
    )

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001 (as WTForms has it)
        """Also: a booster every few weeks needs the number of weeks."""
        valid = super().validate(extra_validators)
        every = self.maintenance.data == Maintenance.EVERY_WEEKS.value
        if valid and every and not self.booster_every_weeks.data:
            self.booster_every_weeks.errors = ["Enter the weeks between boosters."]
            return False
        return valid


class BoosterDecisionForm(Form):
    decision = RadioField(
        "Decision",
        choices=[(decision.value, words) for decision, words in DECISION_WORDS.items()],
        validators=[InputRequired(message="Choose a decision.")],
    )
    note = TextAreaField("Note", validators=[Optional(), Length(max=500)])
    booster_day = DateField("Booster on", validators=[Optional()])
    booster_time = TimeField("At", validators=[Optional()])

    def booster_needed(self) -> bool:
        """A booked booster needs its date and time; errors are added when they are missing."""
        if self.decision.data != Decision.BOOSTER_BOOKED.value:
            return False
        if self.booster_day.data is None:
            self.booster_day.errors = ["Enter the booster's date."]
        if self.booster_time.data is None:
            self.booster_time.errors = ["Enter the booster's time."]
        return True
