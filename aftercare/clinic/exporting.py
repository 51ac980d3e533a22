"""Export routes: check-ins as CSV (a patient or the clinic, over dates) and FHIR R4 JSON."""

from __future__ import annotations

import json
from datetime import datetime

from flask import Blueprint, Response, request, stream_with_context
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import Appointment, CheckIn, Patient
from .access import current_clinic, get_patient_for_clinician
from .export_params import BadExportRequest, day_range
from .exports import fhir_bundle, iter_check_ins_csv

bp = Blueprint("exports", __name__, url_prefix="/clinic")


def _date_range() -> tuple[datetime | None, datetime | None]:
    """The export's days (see export_params) as instants in the clinic's zone."""
    return day_range(request.args).bounds(current_clinic().tz)


def _csv(rows_query, filename: str) -> ResponseReturnValue:  # noqa: ANN001
    tz = current_clinic().tz
    rows = db.session.execute(rows_query)
    response = Response(stream_with_context(iter_check_ins_csv(rows, tz)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _in_range(query, start: datetime | None, end: datetime | None):  # noqa: ANN001, ANN202
    if start:
        query = query.where(CheckIn.received_at >= start)
    if end:
        query = query.where(CheckIn.received_at < end)
    return query.order_by(CheckIn.received_at)


def _check_ins(start: datetime | None, end: datetime | None):  # noqa: ANN202
    """The clinic's patients with their check-ins: the clinic scope is in the query."""
    query = (
        select(Patient, CheckIn)
        .join(CheckIn, CheckIn.patient_id == Patient.id)
        .where(Patient.clinic_id == current_clinic().id)
    )
    return _in_range(query, start, end)


def _bad_range(error: BadExportRequest) -> ResponseReturnValue:
    return Response(f"{error}\n", status=400, mimetype="text/plain")


@bp.get("/export/check-ins.csv")
@login_required
def clinic_csv() -> ResponseReturnValue:
    try:
        start, end = _date_range()
    except BadExportRequest as error:
        return _bad_range(error)
    audit.record(
        "export.csv", clinic_id=current_clinic().id, detail=day_range(request.args).as_detail()
    )
    db.session.commit()
    return _csv(_check_ins(start, end), "check-ins.csv")


@bp.get("/patients/<int:patient_id>/check-ins.csv")
@login_required
def patient_csv(patient_id: int) -> ResponseReturnValue:
    patient = get_patient_for_clinician(patient_id)
    try:
        start, end = _date_range()
    except BadExportRequest as error:
        return _bad_range(error)
    audit.record("export.csv", clinic_id=patient.clinic_id, patient_id=patient.id)
    db.session.commit()
    query = _check_ins(start, end).where(Patient.id == patient.id)
    return _csv(query, f"check-ins-patient-{patient.id}.csv")


@bp.get("/patients/<int:patient_id>/fhir.json")
@login_required
def patient_fhir(patient_id: int) -> ResponseReturnValue:
    patient = get_patient_for_clinician(patient_id)
    try:
        start, end = _date_range()
    except BadExportRequest as error:
        return _bad_range(error)
    check_ins = db.session.scalars(
        _in_range(select(CheckIn).where(CheckIn.patient_id == patient.id), start, end)
    ).all()
    appointments = db.session.scalars(
        select(Appointment)
        .where(Appointment.patient_id == patient.id)
        .order_by(Appointment.starts_at)
    ).all()
    audit.record("export.fhir", clinic_id=patient.clinic_id, patient_id=patient.id)
    db.session.commit()
    bundle = fhir_bundle(patient, check_ins, appointments, current_clinic().tz)
    response = Response(json.dumps(bundle, indent=1), mimetype="application/fhir+json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="patient-{patient.id}.fhir.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
