"""Symptoms returning after the series put the patient on the "review for a booster" list.

A clinical review queue, not an alert: nothing is pushed to anyone, and the patient is told
nothing different. One open review per patient at a time; a clinician's decision closes it, and
a later answer that still shows symptoms returning opens the next.
"""

from __future__ import annotations

from sqlalchemy import select

from .. import audit
from ..care.instruments import Instrument
from ..extensions import db
from ..models import BoosterReview, Patient, QuestionnaireResponse
from .outcomes import returning


def review_if_returning(
    patient: Patient, instrument: Instrument, response: QuestionnaireResponse
) -> BoosterReview | None:
    """Open a review if this stored answer shows symptoms returning and none is open yet."""
    responses = db.session.scalars(
        select(QuestionnaireResponse)
        .where(
            QuestionnaireResponse.patient_id == patient.id,
            QuestionnaireResponse.instrument_id == instrument.id,
        )
        .order_by(QuestionnaireResponse.received_at, QuestionnaireResponse.id)
    ).all()
    if not responses or responses[-1].id != response.id:
        return None  # a late-arriving older answer says nothing about now
    found = returning(patient, instrument, responses)
    if found is None:
        return None
    already = db.session.scalar(
        select(BoosterReview.id).where(
            BoosterReview.patient_id == patient.id, BoosterReview.decided_at.is_(None)
        )
    )
    if already is not None:
        return None
    review = BoosterReview(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        response_id=response.id,
        instrument_id=instrument.id,
        total=found.total,
        lowest=found.lowest,
    )
    db.session.add(review)
    db.session.flush()
    audit.record(
        "booster_review.open",
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        detail={"review_id": review.id, "response_id": response.id},
    )
    return review
