"""Which of a patient's infusions an answer belongs to: the check-in and the questionnaires ask."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from .extensions import db
from .models import Infusion, Patient


def infusion_before(patient: Patient, moment: datetime) -> Infusion | None:
    """The patient's latest infusion that had started by `moment`."""
    return db.session.scalar(
        select(Infusion)
        .where(Infusion.patient_id == patient.id, Infusion.started_at <= moment)
        .order_by(Infusion.ended_at.desc())
        .limit(1)
    )
