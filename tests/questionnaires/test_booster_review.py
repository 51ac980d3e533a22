"""Symptoms returning after the series open a review for a booster, once, and never before the
series has ended."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from aftercare.care.course import CoursePlan, spread_dates
from aftercare.care.instruments import Instrument
from aftercare.clinic import service
from aftercare.models import AuditEvent, BoosterReview, Patient, QuestionnaireResponse, utcnow
from aftercare.questionnaires.service import Submission, instruments, save_response
from tests.conftest import add_patient


def answers_for(instrument: Instrument, total: int) -> dict[int, int]:
    """Answers that add up to `total`, highest first."""
    answers, left = {}, total
    for number in instrument.item_numbers:
        answers[number] = min(left, instrument.max_answer)
        left -= answers[number]
    assert left == 0
    return answers


def answered(db, patient: Patient, instrument_id: str, total: int, days_ago: float) -> None:  # noqa: ANN001
    """An answer stored some days ago, as the phone would have sent it then."""
    instrument = instruments()[instrument_id]
    db.session.add(
        QuestionnaireResponse(
            patient_id=patient.id,
            instrument_id=instrument_id,
            instrument_version=instrument.version,
            idempotency_key=f"{instrument_id}-{days_ago}",
            answers={str(k): v for k, v in answers_for(instrument, total).items()},
            total=total,
            received_at=utcnow() - timedelta(days=days_ago),
        )
    )
    db.session.commit()


def answer_now(patient: Patient, instrument_id: str, total: int) -> QuestionnaireResponse:
    instrument = instruments()[instrument_id]
    submission = Submission(
        instrument, f"now-{instrument_id}", answers_for(instrument, total), {}, None
    )
    response, _ = save_response(patient, None, submission)
    return response


@pytest.fixture
def after_the_series(app, db, clinic) -> Patient:  # noqa: ANN001
    """A patient whose series of six ended 20 days ago, with a baseline before it."""
    patient = add_patient(db, clinic, "Dana", hours_ago=None)
    first = utcnow().astimezone(clinic.tz).date() - timedelta(days=37)
    dates = spread_dates(first, 6)
    service.plan_course(patient, CoursePlan(tuple(dates)), None)
    for day in dates:
        start = utcnow().replace(year=day.year, month=day.month, day=day.day, hour=15)
        service.record_infusion(patient, start, start + timedelta(minutes=50), None)
    answered(db, patient, "pcl5", 48, days_ago=40)  # baseline
    answered(db, patient, "phq9", 18, days_ago=40)
    return patient


def reviews(db) -> list[BoosterReview]:  # noqa: ANN001
    db.session.rollback()
    return list(db.session.scalars(select(BoosterReview)))


def test_a_pcl5_ten_points_above_the_lowest_after_the_series_opens_a_review(db, after_the_series):
    answered(db, after_the_series, "pcl5", 30, days_ago=14)
    answered(db, after_the_series, "pcl5", 22, days_ago=7)

    response = answer_now(after_the_series, "pcl5", 32)

    [review] = reviews(db)
    assert (review.patient_id, review.instrument_id, review.total, review.lowest) == (
        after_the_series.id,
        "pcl5",
        32,
        22,
    )
    assert review.response_id == response.id and review.decided_at is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booster_review.open"))
    assert event.detail == {"review_id": review.id, "response_id": response.id}


def test_nine_points_is_not_enough(db, after_the_series):
    answered(db, after_the_series, "pcl5", 22, days_ago=7)

    answer_now(after_the_series, "pcl5", 31)

    assert reviews(db) == []


def test_a_reliable_phq9_worsening_opens_a_review(db, after_the_series):
    answered(db, after_the_series, "phq9", 4, days_ago=10)

    answer_now(after_the_series, "phq9", 10)

    assert [(r.instrument_id, r.total, r.lowest) for r in reviews(db)] == [("phq9", 10, 4)]


def test_one_open_review_per_patient(db, after_the_series):
    answered(db, after_the_series, "phq9", 4, days_ago=10)
    answered(db, after_the_series, "pcl5", 20, days_ago=10)
    answer_now(after_the_series, "phq9", 12)

    answer_now(after_the_series, "pcl5", 35)

    assert len(reviews(db)) == 1


def test_nothing_is_opened_before_the_series_has_ended(app, db, clinic):
    patient = add_patient(db, clinic, "Dana", hours_ago=None)
    first = utcnow().astimezone(clinic.tz).date() - timedelta(days=10)
    service.plan_course(patient, CoursePlan(tuple(spread_dates(first, 6))), None)
    start = utcnow() - timedelta(days=10)
    service.record_infusion(patient, start, start + timedelta(minutes=50), None)
    answered(db, patient, "pcl5", 20, days_ago=5)

    answer_now(patient, "pcl5", 40)

    assert reviews(db) == []
