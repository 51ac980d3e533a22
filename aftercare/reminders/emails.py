"""Reminders by email: who can be reached, and the message that carries one reminder or several.

Each email is plain text with a simple HTML copy, in the patient's language, with the clinic's
name and phone, a link to open the app, an .ics file for an appointment, and a one-click
unsubscribe (RFC 8058: List-Unsubscribe and List-Unsubscribe-Post). The subject is the
reminder's lock-screen title, which names no treatment and no person.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import Flask, current_app
from flask_babel import force_locale
from sqlalchemy import Row, select

from ..appointment_replies import REPLIES, reply_path
from ..care.reminder_sending import Message, message_kind, together_words
from ..extensions import db
from ..links import external_url
from ..models import Appointment, Clinic, Patient, PatientEmail
from ..patient_email import (
    UNSUBSCRIBE_PATH,
    VERIFY_PATH,
    mark_undeliverable,
    unsubscribe_token,
    verify_token,
)
from .calendar import appointment_calendar
from .channels import Recipient
from .reply_actions import one_appointment
from .smtp import EmailJob, EmailSender, SmtpSettings

log = logging.getLogger(__name__)


class EmailChannel(EmailSender):
    """The email reach channel (channels.ReachChannel), over the SMTP transport."""

    name = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        super().__init__(settings)
        self._clinics: dict[int, tuple[str, str]] = {}

    def recipients(self, patient_ids: Collection[int]) -> dict[int, Recipient]:
        """Patients with a verified address they have not unsubscribed."""
        if not patient_ids:
            return {}
        found = {}
        for email_id, patient_id, address, always, language, browser_language in db.session.execute(
            select(
                PatientEmail.id,
                PatientEmail.patient_id,
                PatientEmail.address,
                PatientEmail.always,
                Patient.language,
                Patient.browser_language,
            )
            .join(Patient, Patient.id == PatientEmail.patient_id)
            .where(
                PatientEmail.patient_id.in_(set(patient_ids)),
                PatientEmail.verified_at.is_not(None),
                PatientEmail.unsubscribed_at.is_(None),
                PatientEmail.undeliverable_at.is_(None),
            )
        ):
            found[patient_id] = Recipient(
                patient_id=patient_id,
                address=address,
                language=language or browser_language or "en",
                always=always,
                token=unsubscribe_token(email_id, address),
            )
        return found

    def compose(
        self, carried: Sequence[Row], recipient: Recipient, words: Mapping[str, str]
    ) -> EmailJob:
        """One email carrying these reminders: one in its own words, several counted."""
        if len(carried) == 1:
            (reminder,) = carried
            title, body, url = reminder.title, reminder.body, reminder.url
        else:
            ids = tuple(r.id for r in carried)
            said = together_words(
                Message(ids, recipient.patient_id, message_kind([r.kind for r in carried])),
                words,
            )
            title, body, url = said.title, said.body, said.url
        clinic_name, clinic_phone = self._clinic(carried[0].clinic_id)
        appointment = _appointment(carried) if len(carried) == 1 else None
        answering = _answerable(carried)
        with force_locale(recipient.language):
            message = _message(
                self.settings,
                to=recipient.address,
                subject=title,
                language=recipient.language,
                template="reminder",
                context={
                    "body": body,
                    "link": external_url(url),
                    "clinic_name": clinic_name,
                    "clinic_phone": clinic_phone,
                    "has_calendar": appointment is not None,
                    # One link per answer, each signed for this appointment and answer.
                    "reply_links": answering
                    and {reply: external_url(reply_path(answering, reply)) for reply in REPLIES},
                },
                unsubscribe=external_url(UNSUBSCRIBE_PATH + recipient.token),
            )
            if appointment is not None:
                message.add_attachment(
                    appointment_calendar(appointment, clinic_name, external_url("/today")),
                    maintype="text",
                    subtype="calendar",
                    filename=f"appointment-{appointment.id}.ics",
                    params={"method": "PUBLISH"},
                )
        # Last: making the body multipart moves every Content- header into its first part.
        message["Content-Language"] = recipient.language
        return EmailJob(recipient.address, message)

    def switch_off(self, patient_ids: Collection[int], status: int | None, now: datetime) -> int:
        """Switch off addresses the mail server refused for good (5xx to RCPT or DATA)."""
        switched = mark_undeliverable(
            patient_ids, f"The mail server refused this address ({status}).", now
        )
        if switched:
            # The count and the code only: never an address, a name or a patient.
            log.warning(
                "reminders: %d email address(es) refused by the mail server (%s): switched off",
                switched,
                status,
            )
        return switched

    def _clinic(self, clinic_id: int) -> tuple[str, str]:
        if clinic_id not in self._clinics:
            row = db.session.execute(
                select(Clinic.name, Clinic.phone).where(Clinic.id == clinic_id)
            ).one()
            self._clinics[clinic_id] = (row.name, row.phone)
        return self._clinics[clinic_id]

    def close(self) -> None:
        super().close()
        self._clinics = {}  # read afresh next pass: a clinic may change its name or phone


def _appointment(carried: Sequence[Row]) -> Appointment | None:
    appointment_id = carried[0].appointment_id
    if appointment_id is None:
        return None
    appointment = db.session.get(Appointment, appointment_id)
    return None if appointment is None or appointment.is_cancelled else appointment


def _answerable(carried: Sequence[Row]) -> Appointment | None:
    """The one booked appointment these reminders are about, which the email can answer."""
    appointment_id = one_appointment(carried)
    appointment = db.session.get(Appointment, appointment_id) if appointment_id else None
    return None if appointment is None or appointment.is_cancelled else appointment


def _message(
    settings: SmtpSettings,
    *,
    to: str,
    subject: str,
    language: str,
    template: str,
    context: dict[str, object],
    unsubscribe: str | None = None,
) -> EmailMessage:
    """A plain-text email with an HTML copy, from the app's sender, in `language`."""
    message = EmailMessage()
    _, sender = parseaddr(settings.sender)
    message["From"] = Address("Aftercare", addr_spec=sender)
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    # Out-of-office replies are not sent back to an automatic message (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    context = {**context, "subject": subject, "unsubscribe": unsubscribe, "language": language}
    message.set_content(_render(f"email/{template}.txt", context))
    message.add_alternative(_render(f"email/{template}.html", context), subtype="html")
    return message


def _render(name: str, context: dict[str, object]) -> str:
    # Straight from Jinja: the scheduler has no request, which the pages' context processors
    # read; an email needs none of what they add.
    return current_app.jinja_env.get_template(name).render(**context)


def email_channel(app: Flask) -> EmailChannel | None:
    """The email channel from the app's settings, or None when email is off."""
    settings = app.config.get("SMTP")
    return EmailChannel(settings) if settings is not None else None


def verification_message(email: PatientEmail, settings: SmtpSettings) -> EmailJob:
    """The email with the link that verifies this address, in the patient's language."""
    patient = email.patient
    language = patient.notification_language
    clinic = patient.clinic
    with force_locale(language):
        from flask_babel import gettext as _

        message = _message(
            settings,
            to=email.address,
            subject=_("Confirm your email for Aftercare reminders"),
            language=language,
            template="verify",
            context={
                "link": external_url(VERIFY_PATH + verify_token(email)),
                "clinic_name": clinic.name,
                "clinic_phone": clinic.phone,
            },
        )
    message["Content-Language"] = language
    return EmailJob(email.address, message)
