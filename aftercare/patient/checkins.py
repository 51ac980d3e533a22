"""Saving a check-in: stored once whatever the retries, triaged, and raised to the clinic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..alerts import RaisedAlert, alert_and_audit
from ..care.triage import CheckInAnswers, triage
from ..extensions import db
from ..infusions import infusion_before
from ..models import CheckIn, Device, Patient, utcnow
from ..submissions import store_once


@dataclass(frozen=True)
class CheckInData:
    """What the patient answered, already validated by the form."""

    idempotency_key: str
    severities: dict[str, int]
    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None
    got_home_safely: bool | None = None
    slept: bool | None = None
    note: str = ""
    filled_at: datetime | None = None


@dataclass(frozen=True)
class SavedCheckIn:
    """What the phone is told about a stored check-in.

    Taken before the commit, so that answering does not read the check-in back afterwards.
    """

    id: int
    triage_level: str
    triage_reasons: list[str]
    received_at: datetime

    @classmethod
    def of(cls, check_in: CheckIn) -> SavedCheckIn:
        return cls(
            check_in.id,
            check_in.triage_level,
            list(check_in.triage_reasons),
            check_in.received_at,
        )


def find_check_in(patient: Patient, idempotency_key: str) -> SavedCheckIn | None:
    stored = db.session.scalar(
        select(CheckIn).where(
            CheckIn.patient_id == patient.id, CheckIn.idempotency_key == idempotency_key
        )
    )
    return SavedCheckIn.of(stored) if stored is not None else None


def save_check_in(
    patient: Patient, device: Device | None, data: CheckInData
) -> tuple[SavedCheckIn, bool]:
    """Store the check-in and its alert, or return the one stored under the same key.

    Returns the check-in and whether it was new. A phone that lost the answer to its first try
    sends again with the same key; the second try must not store a second check-in (store_once).
    """
    received_at = utcnow()
    # Triage is about how the patient felt when filling in the form, which may be hours before
    # a phone that was offline sends it.
    felt_at = data.filled_at or received_at
    infusion = infusion_before(patient, felt_at)
    hours = None
    if infusion is not None:
        hours = max(0.0, (felt_at - infusion.ended_at).total_seconds() / 3600)
    answers = CheckInAnswers(
        severities=data.severities,
        systolic=data.systolic,
        diastolic=data.diastolic,
        heart_rate=data.heart_rate,
    )
    result = triage(answers, hours)

    def write() -> SavedCheckIn:
        check_in = CheckIn(
            patient_id=patient.id,
            device_id=device.id if device else None,
            infusion_id=infusion.id if infusion else None,
            idempotency_key=data.idempotency_key,
            filled_at=data.filled_at,
            received_at=received_at,
            severities=data.severities,
            systolic=data.systolic,
            diastolic=data.diastolic,
            heart_rate=data.heart_rate,
            got_home_safely=data.got_home_safely,
            slept=data.slept,
            note=data.note,
            hours_since_infusion=hours,
            triage_level=result.level.value,
            triage_reasons=list(result.reasons),
        )
        db.session.add(check_in)
        patient.note_check_in(received_at, result.level.value)
        db.session.flush()
        alert_and_audit(
            patient,
            check_in,
            [RaisedAlert(result.level, result.reasons)] if result.level.is_alert else [],
            detail={"check_in_id": check_in.id, "level": result.level.value},
        )
        return SavedCheckIn.of(check_in)

    return store_once(write, lambda: find_check_in(patient, data.idempotency_key))
