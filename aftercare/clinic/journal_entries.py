"""Journal entries patients shared: on the patient's page (audited when shown) and as CSV.

Only entries a patient shared are on the server; each is gone once the patient stops sharing
it, or with the patient.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, request
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import Select, select

from .. import audit
from ..extensions import db
from ..models import Patient, SharedJournalEntry
from .access import current_clinic, get_for_clinic
from .blueprint import bp
from .export_formats import csv_lines
from .export_params import BadExportRequest, DayRange, day_range
from .streaming import PagedReader, streamed_download

CSV_HEADER = (
    "Patient",
    "Patient ID",
    "Written",
    "Shared",
    "Mood (0-10)",
    "Questions and answers",
    "Text",
)
ENTRY_ORDER = (SharedJournalEntry.written_at, SharedJournalEntry.id)


def shared_entries(patient: Patient) -> list[SharedJournalEntry]:
    """The patient's shared entries, newest first."""
    return list(
        db.session.scalars(
            select(SharedJournalEntry)
            .where(SharedJournalEntry.patient_id == patient.id)
            .order_by(SharedJournalEntry.written_at.desc(), SharedJournalEntry.id.desc())
        )
    )


def record_viewed(patient: Patient, entries: list[SharedJournalEntry]) -> None:
    """Audit that these shared entries were shown to the clinician (which ones, not what)."""
    if entries:
        audit.record(
            "journal.view",
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            detail={"entry_ids": [entry.id for entry in entries]},
        )


def entry_row(patient: Patient, entry: SharedJournalEntry, tz: ZoneInfo) -> list[object]:
    """One shared entry's values, in the order of CSV_HEADER."""
    answers = "\n".join(f"{a['prompt']}: {a['text']}" for a in entry.answers or [])
    return [
        patient.display_name,
        patient.id,
        entry.written_at.astimezone(tz).isoformat(timespec="seconds"),
        entry.shared_at.astimezone(tz).isoformat(timespec="seconds"),
        entry.mood,
        answers,
        entry.text,
    ]


def iter_entries_csv(
    rows: Iterable[tuple[Patient, SharedJournalEntry]], tz: ZoneInfo
) -> Iterator[str]:
    """The CSV of shared entries line by line: the header, then each entry."""
    return csv_lines(CSV_HEADER, (entry_row(patient, entry, tz) for patient, entry in rows))


def _entries_download(
    query: Select[Any], filename: str, *, clinic_id: int, patient_id: int | None = None
) -> ResponseReturnValue:
    """The CSV of the shared entries `query` selects, written in the dates asked for (as the
    check-in export takes them), streamed and audited."""
    tz = current_clinic().tz
    try:
        days = day_range(request.args)
    except BadExportRequest as error:
        return Response(f"{error}\n", status=400, mimetype="text/plain")
    query = _written_in(query, days, tz)

    def body(reader: PagedReader) -> Iterator[str]:
        return iter_entries_csv(reader.rows(query, *ENTRY_ORDER), tz)

    return streamed_download(
        body,
        filename=filename,
        mimetype="text/csv",
        action="export.journal_csv",
        clinic_id=clinic_id,
        patient_id=patient_id,
        detail=days.as_detail(),
    )


def _written_in(query: Select[Any], days: DayRange, tz: ZoneInfo) -> Select[Any]:
    start, end = days.bounds(tz)
    if start:
        query = query.where(SharedJournalEntry.written_at >= start)
    if end:
        query = query.where(SharedJournalEntry.written_at < end)
    return query


def _clinic_entries(clinic_id: int) -> Select[Any]:
    """The clinic's patients with their shared entries: the clinic scope is in the query."""
    return (
        select(Patient, SharedJournalEntry)
        .join(SharedJournalEntry, SharedJournalEntry.patient_id == Patient.id)
        .where(Patient.clinic_id == clinic_id)
    )


@bp.get("/export/journal-entries.csv")
@login_required
def clinic_journal_csv() -> ResponseReturnValue:
    clinic = current_clinic()
    return _entries_download(
        _clinic_entries(clinic.id), "shared-journal-entries.csv", clinic_id=clinic.id
    )


@bp.get("/patients/<int:patient_id>/journal-entries.csv")
@login_required
def patient_journal_csv(patient_id: int) -> ResponseReturnValue:
    patient = get_for_clinic(Patient, patient_id)
    query = _clinic_entries(patient.clinic_id).where(Patient.id == patient.id)
    return _entries_download(
        query,
        f"shared-journal-entries-patient-{patient.id}.csv",
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
    )
