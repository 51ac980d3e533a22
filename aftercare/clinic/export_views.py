"""Export routes: check-ins as CSV (a patient or the clinic, over dates) and FHIR R4 JSON.

Every export is a streamed download (see streaming.py): it reads the database a page at a
time while it is sent, whatever its size, and is audited when it starts and when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import Select, select

from ..models import Appointment, CheckIn, Patient
from .access import current_clinic, get_for_clinic
from .export_formats import iter_check_ins_csv, iter_fhir_bundle
from .export_params import BadExportRequest, DayRange, day_range
from .streaming import PagedReader, streamed_download

bp = Blueprint("exports", __name__, url_prefix="/clinic")

# Check-ins in the order they arrived; the id settles ties, so every row has one place.
CHECK_IN_ORDER = (CheckIn.received_at, CheckIn.id)
APPOINTMENT_ORDER = (Appointment.starts_at, Appointment.id)


def _received_in(query: Select[Any], days: DayRange, tz: ZoneInfo) -> Select[Any]:
    start, end = days.bounds(tz)
    if start:
        query = query.where(CheckIn.received_at >= start)
    if end:
        query = query.where(CheckIn.received_at < end)
    return query


def _clinic_check_ins(clinic_id: int, days: DayRange, tz: ZoneInfo) -> Select[Any]:
    """The clinic's patients with their check-ins: the clinic scope is in the query."""
    query = (
        select(Patient, CheckIn)
        .join(CheckIn, CheckIn.patient_id == Patient.id)
        .where(Patient.clinic_id == clinic_id)
    )
    return _received_in(query, days, tz)


def _csv_download(
    query: Select[Any], tz: ZoneInfo, filename: str, days: DayRange, **scope: int
) -> Response:
    """The CSV file of the check-ins `query` selects, streamed and audited for `scope` (the
    clinic, and the patient where there is one)."""

    def body(reader: PagedReader) -> Iterator[str]:
        return iter_check_ins_csv(reader.rows(query, *CHECK_IN_ORDER), tz)

    return streamed_download(
        body,
        filename=filename,
        mimetype="text/csv",
        action="export.csv",
        detail=days.as_detail(),
        **scope,
    )


@bp.errorhandler(BadExportRequest)
def bad_request(error: BadExportRequest) -> ResponseReturnValue:
    """An address that asks for what no export gives: a 400 in plain words, saying what."""
    return Response(f"{error}\n", status=400, mimetype="text/plain")


@bp.get("/export/check-ins.csv")
@login_required
def clinic_csv() -> ResponseReturnValue:
    clinic = current_clinic()
    days = day_range(request.args)
    query = _clinic_check_ins(clinic.id, days, clinic.tz)
    return _csv_download(query, clinic.tz, "check-ins.csv", days, clinic_id=clinic.id)


@bp.get("/patients/<int:patient_id>/check-ins.csv")
@login_required
def patient_csv(patient_id: int) -> ResponseReturnValue:
    patient = get_for_clinic(Patient, patient_id)
    clinic = current_clinic()
    days = day_range(request.args)
    query = _clinic_check_ins(clinic.id, days, clinic.tz).where(Patient.id == patient.id)
    filename = f"check-ins-patient-{patient.id}.csv"
    return _csv_download(
        query, clinic.tz, filename, days, clinic_id=patient.clinic_id, patient_id=patient.id
    )


@bp.get("/patients/<int:patient_id>/fhir.json")
@login_required
def patient_fhir(patient_id: int) -> ResponseReturnValue:
    patient = get_for_clinic(Patient, patient_id)
    clinic = current_clinic()
    days = day_range(request.args)
    tz, now = clinic.tz, datetime.now(UTC)
    check_ins = _received_in(select(CheckIn).where(CheckIn.patient_id == patient.id), days, tz)
    appointments = select(Appointment).where(Appointment.patient_id == patient.id)

    def body(reader: PagedReader) -> Iterator[str]:
        # The patient object is expired once the audit row is committed; its id is the route's.
        return iter_fhir_bundle(
            patient_id,
            (check_in for (check_in,) in reader.rows(check_ins, *CHECK_IN_ORDER)),
            (appointment for (appointment,) in reader.rows(appointments, *APPOINTMENT_ORDER)),
            tz,
            now=now,
        )

    return streamed_download(
        body,
        filename=f"patient-{patient.id}.fhir.json",
        mimetype="application/fhir+json",
        action="export.fhir",
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        detail=days.as_detail(),
    )
