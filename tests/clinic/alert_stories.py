"""Alerts that have waited a given time, raised by real check-ins through the real triage."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import select

from aftercare.extensions import db
from aftercare.models import Alert, CheckIn, Patient, utcnow
from aftercare.patient.checkins import CheckInData, save_check_in

# An answer that raises each level of alert.
RAISES = {
    "emergency": {"chest_pain": 1},
    "crisis": {"suicidal_thoughts": 1},
    "call_clinic": {"rash_itching": 1},
}
_keys = itertools.count()


def alert_waiting(
    patient: Patient,
    level: str,
    minutes: float,
    *,
    acknowledged: bool = False,
    **answers: object,
) -> Alert:
    """A check-in sent `minutes` ago that raised an alert of `level`, left open unless
    `acknowledged`. Other keyword arguments go to the check-in (vitals, a note...)."""
    data = CheckInData(f"story-{next(_keys)}", dict(RAISES[level]), **answers)  # type: ignore[arg-type]
    saved, _ = save_check_in(patient, None, data)
    alert = db.session.scalar(select(Alert).where(Alert.check_in_id == saved.id))
    assert alert is not None and alert.level == level
    check_in = db.session.get(CheckIn, saved.id)
    assert check_in is not None
    when = utcnow() - timedelta(minutes=minutes)
    check_in.received_at = alert.created_at = when
    if check_in.hours_since_infusion is not None:
        check_in.hours_since_infusion = max(0.0, check_in.hours_since_infusion - minutes / 60)
    if patient.last_check_in_at == saved.received_at:
        patient.last_check_in_at = when
    if acknowledged:
        alert.acknowledged_at = when + timedelta(minutes=5)
        alert.acknowledgement_note = "Called the patient."
    db.session.commit()
    return alert
