"""The clinic's settings, one small form per section (see settings_sections.py)."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..care.quiet_hours import QuietHours
from ..fields import Form, SmallIntegerField
from .forms import PHONE

WINDOW_KEYS = ("driving", "decisions", "alcohol", "sedatives", "companion")
LIST_KEYS = ("normal", "self_care", "call_clinic", "call_911")
# Other languages patients can read, each with its own wording boxes ("es_driving_text"...).
OTHER_LANGUAGES = {"es": "Spanish"}
UNTIL = Regexp(r"(?s).*\{until\}", message="Keep {until} where the time goes.")


def _hours(label: str) -> SmallIntegerField:
    return SmallIntegerField(
        label,
        validators=[
            InputRequired(message="Enter a number of hours."),
            NumberRange(0, 168, message="Enter from 0 to 168 hours."),
        ],
    )


def _clock_hour(label: str, description: str = "") -> SmallIntegerField:
    return SmallIntegerField(
        label,
        description=description,
        validators=[InputRequired(), NumberRange(0, 23, message="Enter an hour from 0 to 23.")],
    )


def _days(label: str, most: int) -> SmallIntegerField:
    return SmallIntegerField(
        label,
        validators=[InputRequired(), NumberRange(0, most, message=f"Enter from 0 to {most} days.")],
    )


def _until_text(label: str) -> TextAreaField:
    return TextAreaField(
        label, validators=[InputRequired(), Length(max=400), UNTIL], render_kw={"rows": 2}
    )


def _lines(label: str) -> TextAreaField:
    return TextAreaField(
        label,
        description="One per line.",
        validators=[InputRequired(), Length(max=3000)],
        render_kw={"rows": 6},
    )


class SectionForm(Form):
    """A section's form. `saved` is the clinic's content as it is now (in English), for
    checks against settings kept in other sections."""

    saved: dict[str, Any]

    def __init__(self, *args: Any, saved: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.saved = saved or {}


class ClinicForm(SectionForm):
    name = StringField("Clinic name", validators=[InputRequired(), Length(max=120)])
    timezone = StringField(
        "Time zone",
        description="For example America/New_York. Every time patients read is in this zone.",
        validators=[InputRequired(), Length(max=64)],
    )
    phone = StringField("Clinic phone", validators=[Optional(), PHONE])
    after_hours_phone = StringField("After-hours phone", validators=[Optional(), PHONE])

    def validate_timezone(self, field: StringField) -> None:
        if field.data not in available_timezones():
            raise ValidationError("Not a time zone name. Use one like America/New_York.")


class CrisisForm(SectionForm):
    crisis_line = StringField("Crisis line", validators=[InputRequired(), PHONE])
    crisis_line_name = StringField(
        "Crisis line name", validators=[InputRequired(), Length(max=120)]
    )
    crisis_options = StringField("Crisis line options", validators=[Optional(), Length(max=200)])
    crisis_prompt = StringField(
        "Crisis bar, first line",
        description="{line} is replaced by the crisis line. Leave empty for the built-in text.",
        validators=[Optional(), Length(max=200)],
    )
    emergency_number = StringField("Emergency number", validators=[InputRequired(), PHONE])
    not_monitored = TextAreaField(
        "Not monitored around the clock",
        validators=[InputRequired(), Length(max=400)],
        render_kw={"rows": 2},
    )


class RulesForm(SectionForm):
    driving_hours = _hours("No driving or machinery (hours)")
    decisions_hours = _hours("No big decisions (hours)")
    alcohol_hours = _hours("No alcohol or cannabis (hours)")
    sedatives_hours = _hours("No opioids or benzodiazepines (hours)")
    companion_hours = _hours("Someone stays with the patient (hours)")

    driving_text = _until_text("Driving")
    decisions_text = _until_text("Decisions")
    alcohol_text = _until_text("Alcohol and cannabis")
    sedatives_text = _until_text("Opioids and benzodiazepines")
    companion_text = _until_text("Companion")


class ListsForm(SectionForm):
    normal = _lines("What is normal and will pass")
    self_care = _lines("Self-care")
    call_clinic = _lines("When to call the clinic")
    call_911 = _lines("When to call 911")


def _check_hours_outside_quiet(quiet: QuietHours, fields: list[SmallIntegerField]) -> bool:
    """Add an error to each reminder hour inside the quiet hours; whether none was."""
    valid = True
    # A reminder set for an hour inside quiet hours would always be late, or not sent.
    for field in fields:
        if field.data is not None and not field.errors and quiet.covers_hour(field.data):
            field.errors.append(
                f"{field.data}:00 is inside the quiet hours ({quiet.describe()}), when no"
                " reminder is sent. Choose an hour outside them, or change the quiet hours."
            )
            valid = False
    return valid


class RemindersForm(SectionForm):
    appointment_hours = StringField(
        "Appointment reminders (hours before)",
        description="Whole hours, separated by commas, for example 24, 2.",
        validators=[InputRequired(), Length(max=60)],
    )
    driver_hour = _clock_hour("Ride-home reminder, the day before an infusion (hour, 0-23)")
    evening_hour = _clock_hour("Evening check-in after an infusion (hour, 0-23)")
    morning_hour = _clock_hour("Next-morning check-in (hour, 0-23)")
    quiet_start = _clock_hour(
        "Quiet hours begin (hour, 0-23)",
        "No reminder is sent from this hour until quiet hours end, except one for an "
        "appointment less than two hours away. Reminders due meanwhile go out when they end.",
    )
    quiet_end = _clock_hour("Quiet hours end (hour, 0-23)")

    def reminder_offsets(self) -> list[int]:
        return [int(part) for part in self.appointment_hours.data.replace(" ", "").split(",")]

    def validate_appointment_hours(self, field: StringField) -> None:
        try:
            hours = self.reminder_offsets()
        except ValueError:
            raise ValidationError("Use whole hours separated by commas, like 24, 2.") from None
        if not hours or any(not 1 <= h <= 336 for h in hours) or len(hours) > 6:
            raise ValidationError("Give one to six offsets, each from 1 to 336 hours.")

    def validate_quiet_end(self, field: SmallIntegerField) -> None:
        if field.data is not None and field.data == self.quiet_start.data:
            raise ValidationError("Quiet hours must end at another hour than they begin.")

    def validate(self, extra_validators: dict | None = None) -> bool:
        valid = super().validate(extra_validators)
        if self.quiet_start.errors or self.quiet_end.errors:
            return valid
        quiet = QuietHours(self.quiet_start.data, self.quiet_end.data)
        fields = [self.driver_hour, self.evening_hour, self.morning_hour]
        valid = _check_hours_outside_quiet(quiet, fields) and valid
        # Questionnaires are timed in their own section: quiet hours must not cover them either.
        asked = self.saved.get("questionnaires", {}).get("hour")
        if asked is not None and quiet.covers_hour(asked):
            self.quiet_start.errors.append(
                f"Questionnaires fall due at {asked}:00, inside these quiet hours"
                f" ({quiet.describe()}), when no reminder is sent. Change the quiet hours, or"
                " the questionnaires' hour first."
            )
            valid = False
        return valid


class QuestionnairesForm(SectionForm):
    pcl5_days = _days("PCL-5 every (days, 0 for never)", 90)
    phq9_days = _days("PHQ-9 every (days, 0 for never)", 90)
    gad7_days = _days("GAD-7 every (days, 0 for never)", 90)
    days_before_booster = _days(
        "PHQ-9 and GAD-7 again this many days before a booster (0 for never)", 14
    )
    questionnaire_hour = _clock_hour("Questionnaires fall due at (hour, 0-23)")
    baseline_days_before = _days(
        "With a course planned: the baseline opens this many days before the first infusion"
        " (0 for none)",
        14,
    )
    maintenance_days = _days(
        "After the initial series: every questionnaire every (days, 0 to keep the intervals above)",
        90,
    )

    def validate(self, extra_validators: dict | None = None) -> bool:
        valid = super().validate(extra_validators)
        reminders = self.saved.get("reminders", {})
        if "quiet_start" not in reminders:
            return valid
        quiet = QuietHours(reminders["quiet_start"], reminders["quiet_end"])
        return _check_hours_outside_quiet(quiet, [self.questionnaire_hour]) and valid


def _translated(form: type[SectionForm], name: str, language: str) -> TextAreaField:
    """The box for a piece of wording in another language: optional, checked as the English."""
    english = getattr(form, name)
    validators: list[Any] = [Optional(), Length(max=3000 if name in LIST_KEYS else 400)]
    if name.endswith("_text"):
        validators.append(UNTIL)
    return TextAreaField(
        f"{english.args[0]} ({OTHER_LANGUAGES[language]})",
        validators=validators,
        render_kw=english.kwargs.get("render_kw"),
    )


def add_translation_boxes(form: type[SectionForm], names: list[str]) -> None:
    """Give `form` a box in each other language for each of these wording fields."""
    for language in OTHER_LANGUAGES:
        for name in names:
            setattr(form, f"{language}_{name}", _translated(form, name, language))
