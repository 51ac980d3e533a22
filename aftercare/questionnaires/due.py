"""A patient's questionnaire schedule: their course, what is due now and what was missed.

Reads only. The rules are in care/questionnaire_calendar.py; the reminders for a course are
planned and written by reminders/rows.py (`plan_questionnaires(patient, course_of(patient))`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time

from sqlalchemy import select

from ..care.content import clinic_content
from ..care.questionnaire_calendar import (
    EARLY_GRACE,
    Course,
    Occurrence,
    QuestionnaireSchedule,
    due_now,
    missed,
)
from ..courses import course_of_patient, plan_of
from ..extensions import db
from ..models import Appointment, Infusion, Patient, QuestionnaireResponse, utcnow

END_OF_DAY = time(23, 59)


def course_of(patient: Patient) -> Course:
    """The patient's course: from the end of their first infusion, with their boosters, and
    with the treatment course's baseline and series end when one is planned."""
    settings = clinic_content(patient.clinic.content)["questionnaires"]
    schedule = QuestionnaireSchedule.from_content(settings)
    tz = patient.clinic.tz
    infusions = db.session.execute(
        select(Infusion.started_at, Infusion.ended_at)
        .where(Infusion.patient_id == patient.id)
        .order_by(Infusion.ended_at)
    ).all()
    boosters = tuple(
        db.session.scalars(
            select(Appointment.starts_at).where(
                Appointment.patient_id == patient.id,
                Appointment.kind == "booster",
                Appointment.cancelled_at.is_(None),
            )
        )
    )
    baseline_before = series_end = None
    planned = course_of_patient(patient)
    if planned is not None:
        if infusions:
            baseline_before = infusions[0].started_at
        else:
            # Open until the end of the first planned day: the infusion may come at any hour.
            first_day = plan_of(planned).target_dates[0]
            baseline_before = datetime.combine(first_day, END_OF_DAY, tzinfo=tz)
        if len(infusions) >= planned.series_count:
            series_end = infusions[planned.series_count - 1].ended_at
    first = infusions[0].ended_at if infusions else None
    return Course(schedule, tz, first, boosters if first else (), baseline_before, series_end)


def _responses(patient: Patient) -> dict[str, list[datetime]]:
    """When the patient answered each questionnaire."""
    responses: dict[str, list[datetime]] = defaultdict(list)
    for instrument_id, at in db.session.execute(
        select(QuestionnaireResponse.instrument_id, QuestionnaireResponse.received_at).where(
            QuestionnaireResponse.patient_id == patient.id
        )
    ):
        responses[instrument_id].append(at)
    return responses


def due_for(patient: Patient, now: datetime | None = None) -> list[Occurrence]:
    now = now or utcnow()
    found = course_of(patient).occurrences(now + EARLY_GRACE)
    return due_now(found, _responses(patient), now)


def missed_for(patient: Patient, now: datetime | None = None) -> list[Occurrence]:
    now = now or utcnow()
    found = course_of(patient).occurrences(now)
    return missed(found, _responses(patient), now)
