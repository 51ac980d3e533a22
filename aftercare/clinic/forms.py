"""Clinician forms: sign-in, patients, infusions, clinic settings."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo, available_timezones

from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..care.quiet_hours import QuietHours
from ..care.reminder_rules import APPOINTMENT_KINDS
from ..fields import Form, SmallIntegerField
from ..patient_email import strip
from .phones import PhoneNumberError, to_e164

PHONE = Regexp(r"^[0-9+()\-. ]{3,40}$", message="Use digits, spaces and + ( ) - . only.")


class LoginForm(Form):
    email = EmailField("Email", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=200)])


class PatientForm(Form):
    display_name = StringField(
        "First name or clinic code",
        description="No more than the team needs to recognise the patient.",
        validators=[InputRequired(), Length(min=1, max=80)],
    )
    phone = TelField(
        "Phone number (optional)",
        description="To call the patient back about an alert. Only the clinic sees it. "
        "A number outside the US starts with + and the country code.",
        validators=[Optional(), Length(max=40)],
        render_kw={"autocomplete": "off"},
    )
    # Filled in by validate_phone: the number in E.164, or None when left empty.
    phone_e164: str | None = None

    def validate_phone(self, field: TelField) -> None:
        try:
            self.phone_e164 = to_e164(field.data or "")
        except PhoneNumberError as error:
            raise ValidationError(str(error)) from error


def local_to_utc(day: date, clock: time, tz: ZoneInfo) -> datetime | None:
    """A wall-clock time in the clinic's zone as UTC, or None if the clocks skipped it."""
    local = datetime.combine(day, clock, tzinfo=tz)
    round_trip = local.astimezone(ZoneInfo("UTC")).astimezone(tz)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return local.astimezone(ZoneInfo("UTC"))


class InfusionForm(Form):
    day = DateField("Date", validators=[InputRequired(message="Enter the date.")])
    started = TimeField("Started at", validators=[InputRequired(message="Enter the start time.")])
    ended = TimeField("Ended at", validators=[InputRequired(message="Enter the end time.")])

    def to_utc(self, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
        """Start and end in UTC, with errors added to the form when they do not make sense."""
        start = local_to_utc(self.day.data, self.started.data, tz)
        end = local_to_utc(self.day.data, self.ended.data, tz)
        if start is None:
            self.started.errors = ["That time did not exist here: the clocks changed."]
        if end is None:
            self.ended.errors = ["That time did not exist here: the clocks changed."]
        if start is None or end is None:
            return None
        if end <= start:
            self.ended.errors = ["The end must be after the start."]
            return None
        if (end - start).total_seconds() > 6 * 3600:
            self.ended.errors = ["An infusion lasts a few hours at most: check the times."]
            return None
        return start, end


class AppointmentForm(Form):
    kind = SelectField(
        "Kind",
        choices=[SelectChoice(value, label) for value, label in APPOINTMENT_KINDS.items()],
        validators=[InputRequired()],
    )
    day = DateField("Date", validators=[InputRequired(message="Enter the date.")])
    starts = TimeField("Time", validators=[InputRequired(message="Enter the time.")])
    duration_minutes = SmallIntegerField(
        "Length (minutes)",
        default=60,
        validators=[
            InputRequired(message="Enter the length in minutes."),
            NumberRange(5, 480, message="Enter from 5 to 480 minutes."),
        ],
    )

    def starts_at(self, tz: ZoneInfo, now: datetime) -> datetime | None:
        """The start in UTC, or None with an error on the form."""
        start = local_to_utc(self.day.data, self.starts.data, tz)
        if start is None:
            self.starts.errors = ["That time did not exist here: the clocks changed."]
            return None
        if start <= now:
            self.starts.errors = ["Choose a time in the future."]
            return None
        return start


class AcknowledgeForm(Form):
    note = StringField("Note", validators=[Optional(), Length(max=500)])


class RevokeForm(Form):
    """A button with a CSRF token."""


class ClinicEmailForm(Form):
    """A patient's email for reminders, with their consent noted."""

    address = EmailField(
        "Patient's email",
        filters=[strip],
        validators=[
            InputRequired("Enter the patient's email."),
            Length(max=254),
            Email("Enter an email address like name@example.com.", granular_message=False),
        ],
    )
    always = BooleanField("Send every reminder by email too, not only when push cannot reach")
    consent = BooleanField(
        "The patient agreed to get reminders at this email",
        validators=[InputRequired("Note the patient's consent before adding an email.")],
    )


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
        label,
        validators=[
            InputRequired(),
            Length(max=400),
            Regexp(r"(?s).*\{until\}", message="Keep {until} where the time goes."),
        ],
    )


def _lines(label: str) -> TextAreaField:
    return TextAreaField(
        label, description="One per line.", validators=[InputRequired(), Length(max=3000)]
    )


class SettingsForm(Form):
    name = StringField("Clinic name", validators=[InputRequired(), Length(max=120)])
    timezone = StringField(
        "Time zone",
        description="For example America/New_York.",
        validators=[InputRequired(), Length(max=64)],
    )
    phone = StringField("Clinic phone", validators=[Optional(), PHONE])
    after_hours_phone = StringField("After-hours phone", validators=[Optional(), PHONE])

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

    normal = _lines("What is normal and will pass")
    self_care = _lines("Self-care")
    call_clinic = _lines("When to call the clinic")
    call_911 = _lines("When to call 911")

    crisis_line = StringField("Crisis line", validators=[InputRequired(), PHONE])
    crisis_line_name = StringField(
        "Crisis line name", validators=[InputRequired(), Length(max=120)]
    )
    crisis_options = StringField("Crisis line options", validators=[Optional(), Length(max=200)])
    crisis_prompt = StringField(
        "Crisis bar, first line",
        description="{line} is replaced by the crisis line. Leave empty for the default.",
        validators=[Optional(), Length(max=200)],
    )
    emergency_number = StringField("Emergency number", validators=[InputRequired(), PHONE])
    not_monitored = TextAreaField(
        "Not monitored around the clock", validators=[InputRequired(), Length(max=400)]
    )

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

    def reminder_offsets(self) -> list[int]:
        return [int(part) for part in self.appointment_hours.data.replace(" ", "").split(",")]

    def validate_appointment_hours(self, field: StringField) -> None:
        try:
            hours = self.reminder_offsets()
        except ValueError:
            raise ValidationError("Use whole hours separated by commas, like 24, 2.") from None
        if not hours or any(not 1 <= h <= 336 for h in hours) or len(hours) > 6:
            raise ValidationError("Give one to six offsets, each from 1 to 336 hours.")

    def validate_timezone(self, field: StringField) -> None:
        if field.data not in available_timezones():
            raise ValidationError("Not a time zone name. Use one like America/New_York.")

    def validate_quiet_end(self, field: SmallIntegerField) -> None:
        if field.data is not None and field.data == self.quiet_start.data:
            raise ValidationError("Quiet hours must end at another hour than they begin.")

    def validate(self, extra_validators: dict | None = None) -> bool:
        valid = super().validate(extra_validators)
        if self.quiet_start.errors or self.quiet_end.errors:
            return valid
        # A reminder set for an hour inside quiet hours would always be late, or not sent.
        quiet = QuietHours(self.quiet_start.data, self.quiet_end.data)
        for field in (
            self.driver_hour,
            self.evening_hour,
            self.morning_hour,
            self.questionnaire_hour,
        ):
            if field.data is not None and not field.errors and quiet.covers_hour(field.data):
                field.errors.append(
                    f"{field.data}:00 is inside the quiet hours ({quiet.describe()}), when no"
                    " reminder is sent. Choose an hour outside them, or change the quiet hours."
                )
                valid = False
        return valid


WINDOW_KEYS = ("driving", "decisions", "alcohol", "sedatives", "companion")
LIST_KEYS = ("normal", "self_care", "call_clinic", "call_911")
# The settings that are words patients read, and where each is kept in the clinic's content.
WORD_FIELDS: dict[str, str] = {
    **{f"{key}_text": f"timed.{key}" for key in WINDOW_KEYS},
    **{key: key for key in LIST_KEYS},
    "crisis_prompt": "crisis.prompt",
    "crisis_line_name": "crisis.line_name",
    "crisis_options": "crisis.options",
    "not_monitored": "not_monitored",
}
# Other languages patients can read, each with its own wording boxes ("es_driving_text"...).
OTHER_LANGUAGES = {"es": "Spanish"}


def _translated(name: str, language: str, label: str) -> TextAreaField:
    validators = [Optional(), Length(max=3000 if name in LIST_KEYS else 400)]
    if name.endswith("_text"):
        validators.append(Regexp(r"(?s).*\{until\}", message="Keep {until} where the time goes."))
    return TextAreaField(f"{label} ({OTHER_LANGUAGES[language]})", validators=validators)


for _language in OTHER_LANGUAGES:
    for _name in WORD_FIELDS:
        _label = str(getattr(SettingsForm, _name).args[0])
        setattr(SettingsForm, f"{_language}_{_name}", _translated(_name, _language, _label))


class CodeForm(Form):
    code = StringField(
        "Code from your authenticator app, or a recovery code",
        validators=[InputRequired(message="Enter the code."), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text"},
    )


class SetPasswordForm(Form):
    password = PasswordField(
        "New password",
        description="At least 12 characters. A few unrelated words make a good one.",
        validators=[InputRequired(), Length(min=12, max=200, message="Use 12 to 200 characters.")],
    )
    confirm = PasswordField("The same password again", validators=[InputRequired()])

    def validate_confirm(self, field: PasswordField) -> None:
        if field.data != self.password.data:
            raise ValidationError("The two passwords are not the same.")


class InviteForm(Form):
    name = StringField("Name", validators=[InputRequired(), Length(max=120)])
    email = EmailField("Email", validators=[InputRequired(), Length(max=254), Email()])
    role = SelectField(
        "Role",
        choices=[SelectChoice("clinician", "Clinician"), SelectChoice("admin", "Admin")],
        validators=[InputRequired()],
    )


class DeletePatientForm(Form):
    confirm = StringField(
        "Type the patient's name or code to confirm",
        validators=[InputRequired(), Length(max=80)],
    )
