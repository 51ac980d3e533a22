"""How each patient can be reached by reminders: push, email, or not at all.

One rule (`reach`) over one query for a whole page of patients (`reach_of`), used by the patient
list, the patient page and the dashboard's count of patients with an appointment soon whom no
reminder can reach.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from ..extensions import db
from ..models import Appointment, Device, Patient, PatientEmail, PushSubscription

# The dashboard counts patients with an appointment this soon whom no reminder can reach.
SOON = timedelta(days=7)


@dataclass(frozen=True)
class EmailFacts:
    """What the address row says, as read from the database."""

    verified_at: datetime | None
    unsubscribed_at: datetime | None
    undeliverable_at: datetime | None


@dataclass(frozen=True)
class Reach:
    """How reminders reach one patient."""

    phones: int  # subscribed phones, still linked, whose subscription works
    last_push_at: datetime | None  # the latest push any of them took
    # The address: "verified", "pending" (not yet confirmed), "unsubscribed", "refused" (the
    # mail server refused it), "off" (verified, but this server sends no email), or "" (none).
    email: str
    # Of the phones, how many said they run Aftercare as the installed Home Screen app, and
    # how many in a browser tab; the rest have not said (they subscribed before it was asked).
    installed: int = 0
    in_browser: int = 0

    @property
    def by_push(self) -> bool:
        return self.phones > 0

    @property
    def how_phones_run(self) -> str:
        """How the subscribed phones run Aftercare, in a few words; "" when none has said."""
        apps = "installed app" if self.installed == 1 else "installed apps"
        if self.phones and self.installed == self.phones:
            return apps
        if self.phones and self.in_browser == self.phones:
            return "in the browser"
        said = [f"{self.installed} {apps}"] if self.installed else []
        if self.in_browser:
            said.append(f"{self.in_browser} in the browser")
        return ", ".join(said)

    @property
    def by_email(self) -> bool:
        return self.email == "verified"

    @property
    def reachable(self) -> bool:
        return self.by_push or self.by_email


def email_reach(facts: EmailFacts | None, email_on: bool) -> str:
    """The state of a patient's address for reminders (see Reach.email)."""
    if facts is None:
        return ""
    if facts.unsubscribed_at is not None:
        return "unsubscribed"
    if facts.undeliverable_at is not None:
        return "refused"
    if facts.verified_at is None:
        return "pending"
    return "verified" if email_on else "off"


def reach(
    phones: int,
    last_push_at: datetime | None,
    email: EmailFacts | None,
    email_on: bool,
    installed: int = 0,
    in_browser: int = 0,
) -> Reach:
    """How reminders reach a patient with these phones (so many said installed, so many in a
    browser tab) and this address."""
    return Reach(
        phones,
        last_push_at if phones else None,
        email_reach(email, email_on),
        installed if phones else 0,
        in_browser if phones else 0,
    )


def reach_of(patient_ids: Collection[int], email_on: bool) -> dict[int, Reach]:
    """Each patient's reach, in one query whatever the number of patients."""
    if not patient_ids:
        return {}
    # Only phones still linked: an unlinked phone is never sent a reminder (reminders/sender.py).
    working = (
        select(
            PushSubscription.patient_id,
            func.count(PushSubscription.id).label("phones"),
            func.max(PushSubscription.last_success_at).label("last_push_at"),
            func.count(case((PushSubscription.installed.is_(True), 1))).label("installed"),
            func.count(case((PushSubscription.installed.is_(False), 1))).label("in_browser"),
        )
        .join(Device, Device.id == PushSubscription.device_id)
        .where(
            PushSubscription.patient_id.in_(set(patient_ids)),
            PushSubscription.disabled_at.is_(None),
            Device.revoked_at.is_(None),
            Device.patient_id == PushSubscription.patient_id,
        )
        .group_by(PushSubscription.patient_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Patient.id,
            working.c.phones,
            working.c.last_push_at,
            working.c.installed,
            working.c.in_browser,
            PatientEmail.id.label("email_id"),
            PatientEmail.verified_at,
            PatientEmail.unsubscribed_at,
            PatientEmail.undeliverable_at,
        )
        .outerjoin(working, working.c.patient_id == Patient.id)
        .outerjoin(PatientEmail, PatientEmail.patient_id == Patient.id)
        .where(Patient.id.in_(set(patient_ids)))
    )
    found = {}
    for row in rows:
        facts = (
            EmailFacts(row.verified_at, row.unsubscribed_at, row.undeliverable_at)
            if row.email_id is not None
            else None
        )
        found[row.id] = reach(
            row.phones or 0,
            row.last_push_at,
            facts,
            email_on,
            installed=row.installed or 0,
            in_browser=row.in_browser or 0,
        )
    return found


def unreachable_soon(clinic_id: int, now: datetime, email_on: bool) -> list[int]:
    """Patients with an appointment in the next seven days whom no reminder can reach."""
    soon = set(
        db.session.scalars(
            select(Appointment.patient_id).where(
                Appointment.clinic_id == clinic_id,
                Appointment.cancelled_at.is_(None),
                Appointment.starts_at > now,
                Appointment.starts_at <= now + SOON,
            )
        )
    )
    return sorted(
        patient_id for patient_id, found in reach_of(soon, email_on).items() if not found.reachable
    )
