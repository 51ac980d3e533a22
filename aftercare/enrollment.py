"""One-time enrollment links, and the device sessions they create.

The clinic makes a link (clinic/), the patient's phone redeems it and is known by its device
token from then on (patient/ and every page a phone opens). Only the tokens' hashes are stored
(see tokens.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import joinedload

from .extensions import db
from .models import Device, EnrollmentLink, Patient, utcnow
from .tokens import hash_token, new_token


class LinkProblem(Enum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    TOO_MANY_DEVICES = "too_many_devices"


@dataclass(frozen=True)
class Redeemed:
    device: Device
    token: str  # the device token, to be set as a cookie; it is not stored


def create_link(
    patient: Patient, created_by_id: int | None, days: int
) -> tuple[EnrollmentLink, str]:
    """A new link for the patient; earlier unused links stop working so only one is live."""
    now = utcnow()
    db.session.execute(
        update(EnrollmentLink)
        .where(
            EnrollmentLink.patient_id == patient.id,
            EnrollmentLink.used_at.is_(None),
            EnrollmentLink.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    token = new_token()
    link = EnrollmentLink(
        patient_id=patient.id,
        token_hash=hash_token(token),
        created_by_id=created_by_id,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(link)
    return link, token


def linked_devices(patient_id: int) -> int:
    """How many phones are linked to the patient now (unlinked ones do not count)."""
    return db.session.scalar(
        select(func.count(Device.id)).where(
            Device.patient_id == patient_id, Device.revoked_at.is_(None)
        )
    )


def check_link(
    token: str, now: datetime | None = None, max_devices: int | None = None
) -> EnrollmentLink | LinkProblem:
    """The link for a token if it can still be used, or why it cannot.

    With `max_devices`, a patient who has that many linked phones already cannot link another:
    the clinic unlinks one first (see README, "Reminders").
    """
    now = now or utcnow()
    link = db.session.scalar(
        select(EnrollmentLink).where(EnrollmentLink.token_hash == hash_token(token))
    )
    if link is None:
        return LinkProblem.UNKNOWN
    if link.used_at is not None:
        return LinkProblem.USED
    if link.revoked_at is not None:
        return LinkProblem.REVOKED
    if now >= link.expires_at:
        return LinkProblem.EXPIRED
    if max_devices is not None and linked_devices(link.patient_id) >= max_devices:
        return LinkProblem.TOO_MANY_DEVICES
    return link


def redeem_link(token: str, label: str, max_devices: int | None = None) -> Redeemed | LinkProblem:
    """Use the link once and bind a new device to its patient (unless they have
    `max_devices` linked already: then the link stays unused)."""
    checked = check_link(token, max_devices=max_devices)
    if isinstance(checked, LinkProblem):
        return checked
    now = utcnow()
    # Mark used with a conditional update, so that two phones opening the link at the same
    # moment cannot both enroll.
    claimed = db.session.execute(
        update(EnrollmentLink)
        .where(EnrollmentLink.id == checked.id, EnrollmentLink.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        return LinkProblem.USED
    device_token = new_token()
    device = Device(
        patient_id=checked.patient_id,
        token_hash=hash_token(device_token),
        label=label[:120],
        created_at=now,
        last_seen_at=now,
    )
    db.session.add(device)
    return Redeemed(device=device, token=device_token)


# Asked on every patient page, so built once.
_DEVICE_BY_TOKEN_HASH = (
    select(Device)
    .where(Device.token_hash == bindparam("token_hash"))
    .options(joinedload(Device.patient).joinedload(Patient.clinic))
)


def device_for_token(token: str) -> Device | None:
    """The active device a cookie token belongs to, with its patient and clinic (one query)."""
    if not token or len(token) > 128:
        return None
    device = db.session.scalar(_DEVICE_BY_TOKEN_HASH, {"token_hash": hash_token(token)})
    if device is None or not device.is_active:
        return None
    return device
