"""The clinic's outcomes page: completed series, response and remission rates, and the median
time to symptoms returning, with the caveat that these are not a trial."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import func, select

from .. import audit
from ..care.course import series_ended_at
from ..care.measurement import Answer, classify_series
from ..care.outcome_summary import PatientOutcome, summarize
from ..extensions import db
from ..models import BoosterReview, Infusion, QuestionnaireResponse, TreatmentCourse
from ..questionnaires.thresholds import instruments_for_clinic
from .access import current_clinic
from .blueprint import bp


def clinic_outcomes(clinic_id: int) -> list[PatientOutcome]:
    """Each patient of the clinic with a course, read in four queries whatever their number."""
    courses = dict(
        db.session.execute(
            select(TreatmentCourse.patient_id, TreatmentCourse.series_count).where(
                TreatmentCourse.clinic_id == clinic_id
            )
        ).all()
    )
    ids = list(courses)
    if not ids:
        return []
    infusions: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for patient_id, started, ended in db.session.execute(
        select(Infusion.patient_id, Infusion.started_at, Infusion.ended_at).where(
            Infusion.patient_id.in_(ids)
        )
    ):
        infusions[patient_id].append((started, ended))
    answers: dict[tuple[int, str], list[Answer]] = defaultdict(list)
    for patient_id, instrument_id, at, total in db.session.execute(
        select(
            QuestionnaireResponse.patient_id,
            QuestionnaireResponse.instrument_id,
            QuestionnaireResponse.received_at,
            QuestionnaireResponse.total,
        ).where(QuestionnaireResponse.patient_id.in_(ids))
    ):
        answers[patient_id, instrument_id].append(Answer(at, total))
    first_review = dict(
        db.session.execute(
            select(BoosterReview.patient_id, func.min(BoosterReview.created_at))
            .where(BoosterReview.patient_id.in_(ids))
            .group_by(BoosterReview.patient_id)
        ).all()
    )
    known = instruments_for_clinic(clinic_id)
    found = []
    for patient_id, series_count in courses.items():
        first = min((started for started, _ in infusions[patient_id]), default=None)
        latest = {}
        for instrument_id, instrument in known.items():
            mine = answers.get((patient_id, instrument_id))
            if mine:
                latest[instrument_id] = classify_series(instrument, mine, first)[-1]
        ended = series_ended_at(series_count, [e for _, e in infusions[patient_id]])
        returning = first_review.get(patient_id)
        found.append(PatientOutcome(ended, latest, returning if ended and returning else None))
    return found


@bp.get("/outcomes")
@login_required
def outcomes() -> ResponseReturnValue:
    clinic = current_clinic()
    known = instruments_for_clinic(clinic.id)
    summary = summarize(clinic_outcomes(clinic.id), known)
    page = render_template(
        "clinic/outcomes.html",
        summary=summary,
        names={key: instrument.short_title for key, instrument in known.items()},
    )
    # Counts only, no patient named; still, the clinic's record says who looked.
    audit.record("outcomes.view", clinic_id=clinic.id)
    db.session.commit()
    return page
