"""Saving a completed questionnaire: scored, stored once, and raised to the clinic if it must."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..alerts import RaisedAlert, alert_and_audit
from ..care.instruments import Instrument, InstrumentError, load_builtin, load_folder
from ..care.questionnaire_alerts import help_to_show
from ..care.scoring import score
from ..care.triage import Level
from ..extensions import db
from ..infusions import infusion_before
from ..models import Alert, Device, Patient, QuestionnaireResponse, utcnow
from ..reminders.rows import cancel_answered
from ..submissions import store_once
from .booster_review import review_if_returning


@cache
def instruments_in(extra_folder: str) -> dict[str, Instrument]:
    """The built-in instruments and those in a clinic's folder ("" for none), by id.

    Raises InstrumentError, naming the file and field, for a definition that cannot be used.
    """
    instruments = load_builtin()
    if extra_folder:
        for key, instrument in load_folder(Path(extra_folder)).items():
            # A clinic's instrument may not quietly replace a published one.
            if key in instruments:
                raise InstrumentError(f"{extra_folder}: {key} is already a built-in instrument")
            instruments[key] = instrument
    return instruments


def instruments() -> dict[str, Instrument]:
    """Every instrument the app offers: the built-in ones and the clinic's own, by id."""
    return instruments_in(current_app.config["INSTRUMENTS_DIR"])


@dataclass(frozen=True)
class Submission:
    instrument: Instrument
    idempotency_key: str
    answers: dict[int, int]
    extra: dict[str, int]
    filled_at: datetime | None


def find_response(patient: Patient, key: str) -> QuestionnaireResponse | None:
    return db.session.scalar(
        select(QuestionnaireResponse).where(
            QuestionnaireResponse.patient_id == patient.id,
            QuestionnaireResponse.idempotency_key == key,
        )
    )


def save_response(
    patient: Patient, device: Device | None, submission: Submission
) -> tuple[QuestionnaireResponse, bool]:
    """Score and store; a re-sent submission (same key) returns the stored one.

    Raises scoring's IncompleteAnswers or InvalidAnswer: nothing is stored then.
    """
    existing = find_response(patient, submission.idempotency_key)
    if existing is not None:
        return existing, False
    result = score(submission.instrument, submission.answers)
    received_at = utcnow()
    infusion = infusion_before(patient, submission.filled_at or received_at)

    def write() -> QuestionnaireResponse:
        response = QuestionnaireResponse(
            patient_id=patient.id,
            device_id=device.id if device else None,
            infusion_id=infusion.id if infusion else None,
            instrument_id=submission.instrument.id,
            instrument_version=submission.instrument.version,
            idempotency_key=submission.idempotency_key,
            answers={str(k): v for k, v in submission.answers.items()},
            extra=submission.extra,
            total=result.total,
            band=result.band,
            clusters=dict(result.clusters),
            provisional_diagnosis=result.provisional_diagnosis,
            filled_at=submission.filled_at,
            received_at=received_at,
        )
        db.session.add(response)
        db.session.flush()
        cancel_answered(patient, submission.instrument.id, received_at)
        review_if_returning(patient, submission.instrument, response)
        alert_and_audit(
            patient,
            response,
            [RaisedAlert(alert.level, [alert.reason]) for alert in result.alerts],
            detail={"response_id": response.id, "instrument": submission.instrument.id},
        )
        return response

    return store_once(write, lambda: find_response(patient, submission.idempotency_key))


def help_with_result(response: QuestionnaireResponse, instrument: Instrument | None) -> str | None:
    """The help shown with a result: that of the most urgent alert the clinic got for it."""
    stored = db.session.execute(
        select(Alert.level, Alert.reasons).where(
            Alert.patient_id == response.patient_id,
            Alert.questionnaire_response_id == response.id,
        )
    )
    alerts = [(Level(level), reason) for level, reasons in stored for reason in reasons]
    return help_to_show(instrument.scoring.alerts if instrument else (), alerts)


def history(patient: Patient, instrument_id: str | None = None) -> list[QuestionnaireResponse]:
    query = select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == patient.id)
    if instrument_id:
        query = query.where(QuestionnaireResponse.instrument_id == instrument_id)
    return list(db.session.scalars(query.order_by(QuestionnaireResponse.received_at)))
