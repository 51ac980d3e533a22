"""A patient's questionnaire schedule: their course, what is due now and what was missed.

Reads only. The rules are in care/questionnaire_calendar.py; the reminders for a course are
planned and written by reminders/rows.py (`plan_questionnaires(patient, course_of(patient))`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

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
from ..extensions import db
from ..models import Appointment, Infusion, Patient, QuestionnaireResponse, utcnow


def course_of(patient: Patient) -> Course:
    """The patient's course: from the end of their first infusion, with their boosters."""
    settings = clinic_content(patient.clinic.content)["questionnaires"]
    schedule = QuestionnaireSchedule.from_content(settings)
    first = db.session.scalar(
        select(Infusion.ended_at)
        .where(Infusion.patient_id == patient.id)
        .order_by(Infusion.ended_at)
        .limit(1)
    )
    if first is None:
        return Course(schedule, patient.clinic.tz, None)
    boosters = db.session.scalars(
        select(Appointment.starts_at).where(
            Appointment.patient_id == patient.id,
            Appointment.kind == "booster",
            Appointment.cancelled_at.is_(None),
        )
    )
    return Course(schedule, patient.clinic.tz, first, tuple(boosters))


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
