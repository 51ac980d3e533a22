"""Sharing a journal entry with the care team, and taking it back.

Stored once per entry (its client id, made on the phone when it was written), whatever the
retries of the outbox; taken back by deleting it, which is idempotent too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from .. import audit
from ..extensions import db
from ..models import Patient, SharedJournalEntry, utcnow
from ..submissions import store_once


@dataclass(frozen=True)
class EntryData:
    """One entry as the patient shares it, already validated by the form."""

    client_id: str
    written_at: datetime
    mood: int | None
    answers: list[dict[str, str]]
    text: str


def find_shared(patient: Patient, client_id: str) -> SharedJournalEntry | None:
    return db.session.scalar(
        select(SharedJournalEntry).where(
            SharedJournalEntry.patient_id == patient.id,
            SharedJournalEntry.client_id == client_id,
        )
    )


def share_entry(patient: Patient, data: EntryData) -> tuple[int, bool]:
    """Keep the entry for the care team; returns its id and whether it is new.

    Shared again (a retry, or two taps), the entry stays as it was first shared: what the care
    team may already have read does not change under them.
    """

    def write() -> int:
        entry = SharedJournalEntry(
            patient_id=patient.id,
            client_id=data.client_id,
            mood=data.mood,
            answers=data.answers,
            text=data.text,
            written_at=data.written_at,
            shared_at=utcnow(),
        )
        db.session.add(entry)
        db.session.flush()
        # The audit says that an entry was shared, never what it says.
        audit.record(
            "journal.share",
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            detail={"entry_id": entry.id},
        )
        return entry.id

    def twin() -> int | None:
        stored = find_shared(patient, data.client_id)
        return stored.id if stored is not None else None

    existing = twin()
    if existing is not None:
        return existing, False
    return store_once(write, twin)


def unshare_entry(patient: Patient, client_id: str) -> bool:
    """Delete the shared entry from the server; returns whether there was one to delete."""
    deleted = db.session.execute(
        delete(SharedJournalEntry).where(
            SharedJournalEntry.patient_id == patient.id,
            SharedJournalEntry.client_id == client_id,
        )
    ).rowcount
    if deleted:
        audit.record(
            "journal.unshare",
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            detail={"client_id": client_id},
        )
    db.session.commit()
    return bool(deleted)
