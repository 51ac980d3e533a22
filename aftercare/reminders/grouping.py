"""What the sender needs to apply the sending rules (care/reminder_sending.py) to claimed rows:
each clinic's clock and quiet hours, and the words of a message that carries several reminders.

Any channel uses these the same way; the push sender is the first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Row, select

from ..care.content import clinic_content
from ..care.quiet_hours import QuietHours
from ..care.reminder_rules import ReminderSettings, about_appointment
from ..care.reminder_sending import DueReminder
from ..extensions import db
from ..i18n import translator
from ..models import Clinic, Patient


@dataclass(frozen=True)
class ClinicRules:
    """A clinic's clock and quiet hours, as the sender reads them once per batch."""

    tz: ZoneInfo
    quiet: QuietHours

    def retry_from(self, now: datetime) -> datetime | None:
        """When quiet hours last ended: a reminder's retry window counts from then at the
        earliest, so that a night's wait does not use it up."""
        return self.quiet.last_end(now, self.tz)


def clinic_rules(clinic_ids: Iterable[int]) -> dict[int, ClinicRules]:
    """Each clinic's time zone and quiet hours, from its settings."""
    rules = {}
    for clinic_id, timezone, content in db.session.execute(
        select(Clinic.id, Clinic.timezone, Clinic.content).where(Clinic.id.in_(set(clinic_ids)))
    ):
        settings = ReminderSettings.from_content(clinic_content(content)["reminders"])
        rules[clinic_id] = ClinicRules(ZoneInfo(timezone), settings.quiet_hours)
    return rules


def due_reminder(row: Row) -> DueReminder:
    """A claimed reminder row as the sending rules read it."""
    return DueReminder(
        id=row.id,
        patient_id=row.patient_id,
        kind=row.kind,
        next_attempt_at=row.next_attempt_at,
        appointment_at=row.expires_at if about_appointment(row.kind) else None,
    )


def words_for(patient_ids: Collection[int]) -> dict[int, dict[str, str]]:
    """Each patient's notification words, in their language with their clinic's wording.

    Read at sending, for messages that carry several reminders; a single reminder keeps the
    words it was given when it was planned.
    """
    if not patient_ids:
        return {}
    patients = db.session.scalars(select(Patient).where(Patient.id.in_(patient_ids))).all()
    clinics = {
        clinic.id: clinic
        for clinic in db.session.scalars(
            select(Clinic).where(Clinic.id.in_({p.clinic_id for p in patients}))
        )
    }
    found: dict[tuple[int, str], dict[str, str]] = {}
    words = {}
    for patient in patients:
        key = (patient.clinic_id, patient.notification_language)
        if key not in found:
            language = patient.notification_language
            content = clinic_content(
                clinics[patient.clinic_id].content, language, translator(language)
            )
            found[key] = content["notifications"]
        words[patient.id] = found[key]
    return words


def group_key(reminder_ids: Sequence[int]) -> str:
    """A short name for one set of reminders, the same each time it is sent: a push service
    then replaces a copy still waiting for the phone, and the phone one still on its screen."""
    digest = hashlib.sha256(",".join(map(str, sorted(reminder_ids))).encode()).hexdigest()
    return digest[:20]
