"""Clinician forms: sign-in, patients, infusions, alerts, clinicians (settings: settings_forms)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TelField,
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
