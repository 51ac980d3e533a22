"""The patient's answer to an appointment's reminders: "I'll be there" or "I need another time".

The answer comes from a notification's action button (through the phone's outbox), a link in
the reminder email, or the buttons on Today. It is kept on the appointment (the latest answer
is what the clinic acts on) and every change is in the audit trail (its history).

The email links carry signed tokens (itsdangerous) that name the appointment, the answer and
the appointment's start: each link records one answer to one appointment, works until the
appointment starts, and stops working when the clinic moves it. They carry nothing personal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from . import audit
from .extensions import db
from .models import Appointment, utcnow
from .request_input import MAX_ID

CONFIRMED = "confirmed"
NEEDS_NEW_TIME = "needs_new_time"
REPLIES = (CONFIRMED, NEEDS_NEW_TIME)
# How the answer came.
CHANNELS = ("notification", "email", "app")

REPLY_SALT = "aftercare.appointment.reply"
# A link works until its appointment starts; this bounds a token whose appointment is far off.
REPLY_LINK_MAX_AGE_S = 400 * 24 * 3600
REPLY_PATH = "/appointments/reply/"


def record_reply(appointment: Appointment, reply: str, channel: str, at: datetime) -> bool:
    """Keep the patient's answer, chosen at `at`; whether it changed what the clinic sees.

    Sent twice (the outbox's retry, a link opened again), it is kept once. An answer chosen
    before the one already kept (a tap queued offline that arrives after a later one) does not
    replace it. A new "I need another time" is a new request, even after one was handled.
    """
    if reply not in REPLIES or channel not in CHANNELS:
        raise ValueError("unknown reply or channel")
    if appointment.replied_at is not None and at < appointment.replied_at:
        return False
    if appointment.reply == reply:
        return False
    appointment.reply = reply
    appointment.replied_at = at
    appointment.reply_channel = channel
    appointment.reply_handled_at = None
    appointment.reply_handled_by_id = None
    audit.record(
        "appointment.reply",
        clinic_id=appointment.clinic_id,
        patient_id=appointment.patient_id,
        detail={"appointment_id": appointment.id, "reply": reply, "channel": channel},
    )
    return True


def clear_reply(appointment: Appointment) -> None:
    """Forget the answer: it was to a time the appointment no longer has."""
    appointment.reply = appointment.replied_at = appointment.reply_channel = None
    appointment.reply_handled_at = appointment.reply_handled_by_id = None


def mark_handled(appointment: Appointment, clinician_id: int, now: datetime | None = None) -> bool:
    """The clinic dealt with "I need another time"; False if there was nothing to handle."""
    if appointment.reply != NEEDS_NEW_TIME or appointment.reply_handled_at is not None:
        return False
    appointment.reply_handled_at = now or utcnow()
    appointment.reply_handled_by_id = clinician_id
    audit.record(
        "appointment.reply_handled",
        clinic_id=appointment.clinic_id,
        patient_id=appointment.patient_id,
        detail={"appointment_id": appointment.id},
    )
    return True


class ReplyLinkRefused(Exception):
    """An email link that cannot record its answer.

    `reason`: invalid (tampered with, cut short, unknown), expired (the appointment has
    started), or changed (the appointment was moved or cancelled since). `appointment` is set
    when the link was genuine, so the page can show that clinic's phone.
    """

    def __init__(self, reason: str, appointment: Appointment | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.appointment = appointment


@dataclass(frozen=True)
class ReplyLink:
    """What a genuine, usable link asks for."""

    appointment: Appointment
    reply: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=REPLY_SALT)


def _starts(appointment: Appointment) -> int:
    return int(appointment.starts_at.timestamp())


def reply_token(appointment: Appointment, reply: str) -> str:
    """The token of the link that records `reply` to this appointment, at its current time."""
    return _serializer().dumps([appointment.id, reply, _starts(appointment)])


def reply_path(appointment: Appointment, reply: str) -> str:
    return REPLY_PATH + reply_token(appointment, reply)


def read_reply_link(token: str, now: datetime | None = None) -> ReplyLink:
    """The appointment and answer a link names; ReplyLinkRefused if it cannot be used."""
    try:
        found = _serializer().loads(token, max_age=REPLY_LINK_MAX_AGE_S)
    except BadSignature:  # SignatureExpired too: a link this old is long past its appointment
        raise ReplyLinkRefused("invalid") from None
    if not (
        isinstance(found, list)
        and len(found) == 3
        and all(isinstance(part, int) and not isinstance(part, bool) for part in found[::2])
        and found[1] in REPLIES
    ):
        raise ReplyLinkRefused("invalid")
    appointment_id, reply, starts = found
    # Only we sign these, but a key shared with another of our links must not reach the
    # database with an id it cannot hold.
    if not 1 <= appointment_id <= MAX_ID:
        raise ReplyLinkRefused("invalid")
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        raise ReplyLinkRefused("invalid")
    if appointment.is_cancelled or _starts(appointment) != starts:
        raise ReplyLinkRefused("changed", appointment)
    if (now or utcnow()) >= appointment.starts_at:
        raise ReplyLinkRefused("expired", appointment)
    return ReplyLink(appointment, reply)
