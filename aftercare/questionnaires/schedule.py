"""A patient's questionnaire schedule: what is due now, what was missed, and its reminders."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..care.content import clinic_content
from ..care.questionnaire_schedule import (
    EARLY_GRACE,
    Occurrence,
    QuestionnaireSchedule,
    due_now,
    missed,
    occurrences,
)
from ..extensions import db
from ..models import Appointment, Infusion, Patient, QuestionnaireResponse, Reminder, utcnow
from ..reminders.planning import QUESTIONNAIRE_KIND, questionnaire_words

PLAN_AHEAD = timedelta(weeks=8)
KIND = QUESTIONNAIRE_KIND


def _course(
    patient: Patient, until: datetime
) -> tuple[list[Occurrence], dict[str, list[datetime]]]:
    first = db.session.scalar(
        select(Infusion.ended_at)
        .where(Infusion.patient_id == patient.id)
        .order_by(Infusion.ended_at)
        .limit(1)
    )
    responses: dict[str, list[datetime]] = defaultdict(list)
    for instrument_id, at in db.session.execute(
        select(QuestionnaireResponse.instrument_id, QuestionnaireResponse.received_at).where(
            QuestionnaireResponse.patient_id == patient.id
        )
    ):
        responses[instrument_id].append(at)
    if first is None:
        return [], responses
    boosters = list(
        db.session.scalars(
            select(Appointment.starts_at).where(
                Appointment.patient_id == patient.id,
                Appointment.kind == "booster",
                Appointment.cancelled_at.is_(None),
            )
        )
    )
    settings = clinic_content(patient.clinic.content)["questionnaires"]
    schedule = QuestionnaireSchedule.from_content(settings)
    found = occurrences(schedule, first, boosters, until, patient.clinic.tz)
    return found, responses


def due_for(patient: Patient, now: datetime | None = None) -> list[Occurrence]:
    now = now or utcnow()
    found, responses = _course(patient, now + EARLY_GRACE)
    return due_now(found, responses, now)


def missed_for(patient: Patient, now: datetime | None = None) -> list[Occurrence]:
    now = now or utcnow()
    found, responses = _course(patient, now)
    return missed(found, responses, now)


def plan_questionnaire_reminders(patient: Patient, now: datetime | None = None) -> int:
    """One push reminder per upcoming occurrence (re-planned whenever the course changes)."""
    now = now or utcnow()
    db.session.execute(
        update(Reminder)
        .where(
            Reminder.patient_id == patient.id,
            Reminder.kind.startswith(KIND),
            Reminder.state == "pending",
        )
        .values(state="cancelled", finished_at=now)
    )
    found, _ = _course(patient, now + PLAN_AHEAD)
    title, body = questionnaire_words(patient)
    planned: set[tuple[str, datetime]] = set()
    added = 0
    for occurrence in found:
        if occurrence.due_at <= now:
            continue
        # A booster occurrence inside an open regular one of the same questionnaire is one
        # questionnaire to answer, so one reminder.
        overlapping = any(
            o.instrument_id == occurrence.instrument_id
            and o is not occurrence
            and o.due_at <= occurrence.due_at < o.closes_at
            for o in found
        )
        key = (occurrence.instrument_id, occurrence.due_at)
        if key in planned or (occurrence.reason == "booster" and overlapping):
            continue
        planned.add(key)
        db.session.add(
            Reminder(
                clinic_id=patient.clinic_id,
                patient_id=patient.id,
                kind=f"{KIND}{occurrence.instrument_id}",
                title=title,
                body=body,
                url=f"/questionnaires/{occurrence.instrument_id}",
                due_at=occurrence.due_at,
                expires_at=occurrence.closes_at,
                next_attempt_at=occurrence.due_at,
                state="pending",
            )
        )
        added += 1
    return added


def answered(patient: Patient, instrument_id: str, at: datetime) -> None:
    """An answer given early makes its own reminder pointless: it is not sent."""
    db.session.execute(
        update(Reminder)
        .where(
            Reminder.patient_id == patient.id,
            Reminder.kind == f"{KIND}{instrument_id}",
            Reminder.state == "pending",
            Reminder.due_at <= at + EARLY_GRACE,
            Reminder.expires_at > at,
        )
        .values(state="cancelled", finished_at=at)
    )
