"""The data model: clinics and their people, infusions, check-ins, alerts and the audit trail.

Times are stored in UTC and converted to the clinic's time zone only where they are shown.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db
from .reminders.states import ReminderState


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous: pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Clinic(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    phone: Mapped[str] = mapped_column(String(40), default="")
    after_hours_phone: Mapped[str] = mapped_column(String(40), default="")
    # The clinic's own wording and time windows, over the defaults in care/content.py.
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The journal's questions, {"en": [...], "es": [...]}; None for the defaults
    # (care/journal.py). Kept apart from `content`, which the settings page rewrites whole.
    journal_prompts: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Clinician(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="clinician")
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Two-factor sign-in: the TOTP secret, encrypted with a key derived from the app's secret.
    totp_secret_encrypted: Mapped[str] = mapped_column(String(255), default="")
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last time step accepted, so that a code cannot be used twice.
    totp_last_step: Mapped[int] = mapped_column(default=0)
    # An invited clinician sets a password through a one-time link (only its hash is kept).
    invite_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    clinic: Mapped[Clinic] = relationship()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sign-in to disabled accounts
        return self.is_enabled

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        # An invited clinician has no password until they choose one.
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app; only its hash is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    clinician_id: Mapped[int] = mapped_column(
        ForeignKey("clinician.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ClinicianSession(db.Model):
    """A clinician's signed-in browser. The cookie holds a token; only its hash is kept here.

    Deleting the row ends the session at once: the next request with that cookie signs in again.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    clinician_id: Mapped[int] = mapped_column(
        ForeignKey("clinician.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # A few words from the User-Agent ("Firefox on Windows"), so the clinician knows which it is.
    device: Mapped[str] = mapped_column(String(80), default="")
    signed_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    clinician: Mapped[Clinician] = relationship()


class Patient(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    # A first name or a clinic code: the app needs no more to identify a patient.
    display_name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Kept up to date as check-ins and infusions arrive, so that the patient list can sort
    # and page a large clinic without scanning every check-in.
    last_check_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_triage_level: Mapped[str | None] = mapped_column(String(16))
    last_infusion_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language the patient chose with the switch on their pages ("en", "es"), and the one
    # their browser asked for when they had not chosen. Reminders sent later by the scheduler,
    # with no browser to ask, use the choice, then the browser's, then English.
    language: Mapped[str | None] = mapped_column(String(8))
    browser_language: Mapped[str | None] = mapped_column(String(8))
    # Optional, for the nurse to call back from an alert: E.164 ("+15551234567"), shown to the
    # patient's clinic only.
    phone: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_patient_clinic_id_display_name", "clinic_id", "display_name"),
        Index("ix_patient_clinic_id_last_check_in_at", "clinic_id", "last_check_in_at"),
        Index("ix_patient_clinic_id_last_infusion_at", "clinic_id", "last_infusion_at"),
        # The "most urgent" order reads one triage level at a time, newest check-in first.
        Index(
            "ix_patient_clinic_id_last_triage_level_last_check_in_at",
            "clinic_id",
            "last_triage_level",
            "last_check_in_at",
        ),
    )

    clinic: Mapped[Clinic] = relationship()
    infusions: Mapped[list[Infusion]] = relationship(
        back_populates="patient", order_by="Infusion.ended_at", cascade="all, delete-orphan"
    )
    devices: Mapped[list[Device]] = relationship(
        back_populates="patient", order_by="Device.created_at", cascade="all, delete-orphan"
    )

    @property
    def latest_infusion(self) -> Infusion | None:
        return self.infusions[-1] if self.infusions else None

    @property
    def notification_language(self) -> str:
        """The language of what is sent to this patient when no browser is there to ask."""
        return self.language or self.browser_language or "en"

    def note_check_in(self, received_at: datetime, level: str) -> None:
        if self.last_check_in_at is None or received_at >= self.last_check_in_at:
            self.last_check_in_at = received_at
            self.last_triage_level = level

    def note_infusion(self, ended_at: datetime) -> None:
        if self.last_infusion_at is None or ended_at > self.last_infusion_at:
            self.last_infusion_at = ended_at


class EnrollmentLink(db.Model):
    """A one-time link that binds a phone to a patient. Only a hash of its token is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("clinician.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship()


class Device(db.Model):
    """A phone (or a companion's phone) bound to a patient by an enrollment link."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship(back_populates="devices")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class CompanionLink(db.Model):
    """A read-only link for the person looking after the patient; it shows no answers."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


class Infusion(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("clinician.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="infusions")


class CheckIn(db.Model):
    """A side-effect check-in as the patient sent it, with the triage it was given."""

    __table_args__ = (
        UniqueConstraint("patient_id", "idempotency_key"),
        Index("ix_check_in_patient_id_received_at", "patient_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"))
    infusion_id: Mapped[int | None] = mapped_column(ForeignKey("infusion.id", ondelete="SET NULL"))
    # Made on the phone when the form is filled in, so that a re-send is stored once.
    idempotency_key: Mapped[str] = mapped_column(String(64))
    filled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    severities: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    systolic: Mapped[int | None]
    diastolic: Mapped[int | None]
    heart_rate: Mapped[int | None]
    got_home_safely: Mapped[bool | None]
    # Asked the morning after an infusion: driving waits for a night's sleep.
    slept: Mapped[bool | None]
    note: Mapped[str] = mapped_column(Text, default="")
    hours_since_infusion: Mapped[float | None]
    triage_level: Mapped[str] = mapped_column(String(16), index=True)
    triage_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)

    patient: Mapped[Patient] = relationship()
    infusion: Mapped[Infusion | None] = relationship()


class SharedJournalEntry(db.Model):
    """A journal entry the patient chose to share with the care team, until they unshare it.

    Private entries never reach the server; this holds only what was shared, as it was sent.
    """

    __table_args__ = (
        # Made on the phone when the entry was written: sharing it again stores it once.
        UniqueConstraint("patient_id", "client_id"),
        Index("ix_shared_journal_entry_patient_id_written_at", "patient_id", "written_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(64))
    mood: Mapped[int | None]
    # [{"prompt": the question as the patient saw it, "text": their answer}, ...]
    answers: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text, default="")
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    patient: Mapped[Patient] = relationship()


class QuestionnaireResponse(db.Model):
    """A completed questionnaire (PCL-5, PHQ-9, GAD-7 or a clinic's own) and its score."""

    __table_args__ = (
        UniqueConstraint("patient_id", "idempotency_key"),
        Index(
            "ix_questionnaire_response_patient_instrument",
            "patient_id",
            "instrument_id",
            "received_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id", ondelete="SET NULL"))
    infusion_id: Mapped[int | None] = mapped_column(ForeignKey("infusion.id", ondelete="SET NULL"))
    instrument_id: Mapped[str] = mapped_column(String(40))
    instrument_version: Mapped[str] = mapped_column(String(60))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    # Item number (as text, for JSON) -> the value chosen; unscored questions apart.
    answers: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    extra: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    total: Mapped[int]
    band: Mapped[str | None] = mapped_column(String(60))
    clusters: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    provisional_diagnosis: Mapped[bool | None]
    filled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Alert(db.Model):
    """A check-in the care team must act on: emergency, crisis or call-the-clinic."""

    __table_args__ = (
        # The dashboard's open alerts, one level at a time, the longest waiting first.
        Index(
            "ix_alert_clinic_id_acknowledged_at_level_created_at",
            "clinic_id",
            "acknowledged_at",
            "level",
            "created_at",
        ),
        # The patient list's "most urgent" order groups the open alerts by patient from this
        # index alone, without reading the alerts themselves.
        Index(
            "ix_alert_clinic_id_acknowledged_at_patient_id_level_created_at",
            "clinic_id",
            "acknowledged_at",
            "patient_id",
            "level",
            "created_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    check_in_id: Mapped[int | None] = mapped_column(ForeignKey("check_in.id", ondelete="CASCADE"))
    questionnaire_response_id: Mapped[int | None] = mapped_column(
        ForeignKey("questionnaire_response.id", ondelete="CASCADE")
    )
    level: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("clinician.id"))
    acknowledgement_note: Mapped[str] = mapped_column(String(500), default="")

    patient: Mapped[Patient] = relationship()
    check_in: Mapped[CheckIn | None] = relationship()


class AuditEvent(db.Model):
    """Who viewed or changed which patient's data, when and from where. Only ever appended."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    clinic_id: Mapped[int | None] = mapped_column(index=True)
    # No foreign key: the trail outlives a deleted patient.
    patient_id: Mapped[int | None] = mapped_column(index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Appointment(db.Model):
    """A visit the patient must not miss: follow-up, infusion, booster or integration session."""

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(default=60)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("clinician.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The patient's answer to its reminders (appointment_replies.py): None (no answer yet),
    # "confirmed" ("I'll be there") or "needs_new_time"; when they chose it and how
    # (notification, email, app). The latest answer is what the clinic acts on; each one is
    # also in the audit trail. Moving the appointment clears it: it answered the old time.
    reply: Mapped[str | None] = mapped_column(String(16))
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_channel: Mapped[str | None] = mapped_column(String(16))
    # A clinician dealt with "I need another time" (called back, moved it).
    reply_handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_handled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("clinician.id", ondelete="SET NULL")
    )

    __table_args__ = (
        # The dashboard's "needs another time" list: one clinic's unhandled answers.
        Index(
            "ix_appointment_clinic_id_reply_reply_handled_at",
            "clinic_id",
            "reply",
            "reply_handled_at",
        ),
    )

    patient: Mapped[Patient] = relationship()

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class PushSubscription(db.Model):
    """Where to send a device's Web Push messages; disabled when the push service says gone.

    One per device: a device that subscribes again replaces its subscription, so one phone
    cannot multiply the pushes every reminder makes.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    device_id: Mapped[int] = mapped_column(
        ForeignKey("device.id", ondelete="CASCADE"), index=True, unique=True
    )
    endpoint: Mapped[str] = mapped_column(String(1024), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str] = mapped_column(String(200), default="")
    # Whether the phone runs Aftercare from its Home Screen (an iPhone has push only there),
    # as the page last said, and when; None for a phone that has not said.
    installed: Mapped[bool | None] = mapped_column()
    installed_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    def info(self) -> dict[str, Any]:
        """The subscription as pywebpush takes it."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class Reminder(db.Model):
    """One push reminder, planned ahead; the scheduler only sends what these rows say is due.

    Its state is a ReminderState (reminders/states.py): pending (waiting to be due, or for a
    retry), sending (claimed by a sender until lease_until), delivered, failed, expired (fell due
    while it could no longer help), cancelled.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="CASCADE"), index=True
    )
    infusion_id: Mapped[int | None] = mapped_column(
        ForeignKey("infusion.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(String(240))
    url: Mapped[str] = mapped_column(String(200), default="/today")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default=ReminderState.PENDING.value)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str] = mapped_column(String(64), default="")
    # Times a sender took it. More claims than attempts means a sender died mid-send, so the
    # patient may have had this reminder twice.
    claims: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_reminder_state_next_attempt_at", "state", "next_attempt_at"),)

    patient: Mapped[Patient] = relationship()
    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="reminder", order_by="Delivery.id", cascade="all, delete-orphan"
    )


class Delivery(db.Model):
    """One attempt to push one reminder to one subscription, as it went."""

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(
        ForeignKey("reminder.id", ondelete="CASCADE"), index=True
    )
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("push_subscription.id", ondelete="SET NULL"), index=True
    )
    # How it went out: "push" (to the subscription above) or "email" (to the patient's address).
    channel: Mapped[str] = mapped_column(String(16), default="push", server_default="push")
    attempt: Mapped[int] = mapped_column(default=1)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int | None]
    # A PushOutcome (reminders/states.py): delivered, retry (temporary failure), gone
    # (subscription removed), failed (permanent).
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str] = mapped_column(String(300), default="")
    duration_ms: Mapped[int] = mapped_column(default=0)

    reminder: Mapped[Reminder] = relationship(back_populates="deliveries")


class PatientEmail(db.Model):
    """The patient's email address for reminders: used once verified, until unsubscribed.

    Added by the patient on their phone, or by the clinic with the patient's consent noted.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), unique=True
    )
    address: Mapped[str] = mapped_column(String(254))
    # Every reminder by email too, or only those push cannot deliver.
    always: Mapped[bool] = mapped_column(default=False)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The clinician who added it and noted the patient's consent; None: the patient added it.
    consent_noted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("clinician.id", ondelete="SET NULL")
    )
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The mail server refused it for good (5xx): no email goes to it until it is saved again.
    undeliverable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undeliverable_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The verification email, queued by the web request and sent by the scheduler with a
    # claim and a lease like a reminder's: due (None when nothing is to be sent), who holds it
    # until when, tries so far, when the mail server took it, and the last error.
    verify_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    verify_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verify_claimed_by: Mapped[str] = mapped_column(String(80), default="", server_default="")
    verify_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    verify_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verify_error: Mapped[str] = mapped_column(String(200), default="", server_default="")

    patient: Mapped[Patient] = relationship()

    @property
    def usable(self) -> bool:
        """Whether reminders may go to it now."""
        return (
            self.verified_at is not None
            and self.unsubscribed_at is None
            and self.undeliverable_at is None
        )


class SchedulerHeartbeat(db.Model):
    """A scheduler's last pass that ran to its end, for /healthz?scheduler=1 and
    `aftercare scheduler --check`. One row for all schedulers: any of them sending is enough."""

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_pass_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # host:pid of the scheduler that wrote it, for the operator (never shown on /healthz).
    worker: Mapped[str] = mapped_column(String(80), default="")
    duration_ms: Mapped[int] = mapped_column(default=0)


class TreatmentCourse(db.Model):
    """A patient's planned course: an initial series of infusions on target dates, then
    maintenance (boosters as needed, or every N weeks). One per patient, replanned in place.

    Infusions are not linked to places: the patient's infusions, in time order, fill the
    places one by one (care/course.py), so recording one is all it takes.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), unique=True
    )
    series_count: Mapped[int]
    # The initial series' target dates, as ISO dates ("2026-03-02") in the clinic's calendar.
    target_dates: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A care/course.py Maintenance: "as_needed" or "every_weeks" (with booster_every_weeks).
    maintenance: Mapped[str] = mapped_column(String(20), default="as_needed")
    booster_every_weeks: Mapped[int | None]
    planned_by_id: Mapped[int | None] = mapped_column(ForeignKey("clinician.id"))
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BoosterReview(db.Model):
    """A patient whose symptoms are returning after the series, waiting on the dashboard's
    "review for a booster" list until a clinician records a decision: a clinical review queue,
    not an alert."""

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("questionnaire_response.id", ondelete="SET NULL")
    )
    instrument_id: Mapped[str] = mapped_column(String(40))
    total: Mapped[int]
    lowest: Mapped[int]  # the lowest total since the series ended, before this one
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A care/course.py Decision once reviewed: booster_booked, watch or no_action.
    decision: Mapped[str | None] = mapped_column(String(20))
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("clinician.id"))
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment.id", ondelete="SET NULL")
    )

    # The dashboard reads the clinic's open reviews, oldest first.
    __table_args__ = (
        Index(
            "ix_booster_review_clinic_id_decided_at_created_at",
            "clinic_id",
            "decided_at",
            "created_at",
        ),
    )

    patient: Mapped[Patient] = relationship()


class ThresholdChoice(db.Model):
    """A clinic's choice among published thresholds that disagree: for one questionnaire, the
    meaningful change (one of the values its definition offers) used for the clinic's patients.
    No row: the definition's own value."""

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    instrument_id: Mapped[str] = mapped_column(String(40))
    meaningful: Mapped[int]
    chosen_by_id: Mapped[int | None] = mapped_column(ForeignKey("clinician.id"))
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("clinic_id", "instrument_id"),)
