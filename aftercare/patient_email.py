"""A patient's email address for reminders: added, verified by a signed link, unsubscribed.

The links in emails carry signed, expiring tokens (itsdangerous) that name the address row
and a fingerprint of the address: a link for an address the patient has since changed no
longer works. The tokens carry no address, and nothing here logs one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from .extensions import db
from .models import Clinician, Patient, PatientEmail, utcnow

VERIFY_SALT = "aftercare.email.verify"
UNSUBSCRIBE_SALT = "aftercare.email.unsubscribe"
# A verification link is opened soon or sent again; an unsubscribe link must work from any
# reminder the patient still has in their inbox.
VERIFY_MAX_AGE_S = 48 * 3600
UNSUBSCRIBE_MAX_AGE_S = 180 * 24 * 3600
VERIFY_PATH = "/email/verify/"
UNSUBSCRIBE_PATH = "/email/unsubscribe/"


class LinkRefused(Exception):
    """A verify or unsubscribe link that cannot be used: `reason` is expired or invalid."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def email_is_on() -> bool:
    """Whether the app can send email (AFTERCARE_SMTP_URL is set)."""
    return current_app.config.get("SMTP") is not None


def normalize(address: str) -> str:
    """The address as stored: trimmed, its domain in lower case (the local part is the
    mailbox's own business)."""
    local, _, domain = address.strip().rpartition("@")
    return f"{local}@{domain.lower()}"


def strip(value: object) -> object:
    """A form filter: an address pasted with spaces around it is still the address."""
    return value.strip() if isinstance(value, str) else value


def _fingerprint(address: str) -> str:
    return hashlib.sha256(address.lower().encode()).hexdigest()[:16]


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=salt)


def _token(email: PatientEmail | tuple[int, str], salt: str) -> str:
    email_id, address = (email.id, email.address) if isinstance(email, PatientEmail) else email
    return _serializer(salt).dumps([email_id, _fingerprint(address)])


def verify_token(email: PatientEmail) -> str:
    return _token(email, VERIFY_SALT)


def unsubscribe_token(email_id: int, address: str) -> str:
    return _token((email_id, address), UNSUBSCRIBE_SALT)


def email_for_token(token: str, salt: str, max_age: int) -> PatientEmail:
    """The address row a link names; LinkRefused if the link is expired, tampered with, or
    for an address since changed or removed."""
    try:
        email_id, fingerprint = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkRefused("expired") from None
    except (BadSignature, ValueError, TypeError):
        raise LinkRefused("invalid") from None
    email = db.session.get(PatientEmail, email_id) if isinstance(email_id, int) else None
    if email is None or _fingerprint(email.address) != fingerprint:
        raise LinkRefused("invalid")
    return email


def email_of(patient: Patient) -> PatientEmail | None:
    return db.session.scalar(select(PatientEmail).where(PatientEmail.patient_id == patient.id))


def set_address(
    patient: Patient,
    address: str,
    always: bool,
    consent_noted_by: Clinician | None = None,
) -> tuple[PatientEmail, bool]:
    """Keep this address for the patient's reminders; whether it must be verified (it is new
    or changed). A changed address is not used until its own link is opened."""
    address = normalize(address)
    email = email_of(patient)
    if email is None:
        email = PatientEmail(patient_id=patient.id, address=address)
        db.session.add(email)
    changed = email.address.lower() != address.lower() or email.verified_at is None
    if email.address.lower() != address.lower():
        email.address = address
        email.verified_at = None
        email.added_at = utcnow()
    email.always = always
    email.unsubscribed_at = None
    # Saved again: the patient or the clinic says it works now; the mail server decides anew.
    email.undeliverable_at = None
    email.undeliverable_reason = ""
    email.consent_noted_by_id = consent_noted_by.id if consent_noted_by else None
    db.session.flush()
    return email, changed


def remove_address(patient: Patient) -> bool:
    email = email_of(patient)
    if email is None:
        return False
    db.session.delete(email)
    return True


def queue_verification(email: PatientEmail, now: datetime | None = None) -> None:
    """Ask the scheduler to send the link that verifies this address (reminders/verification.py):
    a web request never waits for a mail server."""
    email.verify_due_at = now or utcnow()
    email.verify_attempts = 0
    email.verify_sent_at = None
    email.verify_error = ""


def verification_state(email: PatientEmail) -> str:
    """Where the verification email is: "sent", "queued", "refused" (the mail server refused
    the address), "not_sent" (given up), or "" (verified, or nothing was asked)."""
    if email.verified_at is not None:
        return ""
    if email.undeliverable_at is not None:
        return "refused"
    if email.verify_sent_at is not None:
        return "sent"
    if email.verify_due_at is not None:
        return "queued"
    return "not_sent" if email.verify_error else ""


def mark_verified(email: PatientEmail, now: datetime | None = None) -> None:
    if email.verified_at is None:
        email.verified_at = now or utcnow()


def mark_undeliverable(patient_ids: Collection[int], reason: str, now: datetime) -> int:
    """Switch off these patients' addresses, which their mail servers refused for good; how
    many were switched off now. No email goes to one until it is saved again."""
    if not patient_ids:
        return 0
    result = db.session.execute(
        update(PatientEmail)
        .where(
            PatientEmail.patient_id.in_(set(patient_ids)),
            PatientEmail.undeliverable_at.is_(None),
        )
        .values(undeliverable_at=now, undeliverable_reason=reason[:200], verify_due_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def mark_unsubscribed(email: PatientEmail, now: datetime | None = None) -> None:
    if email.unsubscribed_at is None:
        email.unsubscribed_at = now or utcnow()
