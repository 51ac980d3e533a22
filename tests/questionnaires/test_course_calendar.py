"""Questionnaire reminders follow the treatment course: a baseline before the first infusion,
the end of the series, then maintenance."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from aftercare.care.course import CoursePlan, spread_dates
from aftercare.clinic import service
from aftercare.models import Reminder, utcnow
from aftercare.questionnaires.due import course_of, missed_for
from tests.conftest import add_patient


def pending_questionnaires(db, patient) -> list[Reminder]:  # noqa: ANN001
    return list(
        db.session.scalars(
            select(Reminder)
            .where(
                Reminder.patient_id == patient.id,
                Reminder.kind.startswith("questionnaire_"),
                Reminder.state == "pending",
            )
            .order_by(Reminder.due_at, Reminder.kind)
        )
    )


def test_planning_a_course_asks_for_a_baseline_before_the_first_infusion(app, db, clinic):
    patient = add_patient(db, clinic, "Dana", hours_ago=None)
    first_day = utcnow().astimezone(clinic.tz).date() + timedelta(days=7)

    service.plan_course(patient, CoursePlan(tuple(spread_dates(first_day, 6))), None)

    reminders = pending_questionnaires(db, patient)
    assert {r.kind for r in reminders} == {
        "questionnaire_pcl5",
        "questionnaire_phq9",
        "questionnaire_gad7",
    }
    baseline_due = datetime.combine(first_day - timedelta(days=3), time(10), tzinfo=clinic.tz)
    assert {r.due_at for r in reminders} == {baseline_due}
    # It stays open through the first planned day.
    assert {r.expires_at.astimezone(clinic.tz).date() for r in reminders} == {first_day}


def infuse(patient, day: date) -> None:  # noqa: ANN001
    start = datetime.combine(day, time(9), tzinfo=patient.clinic.tz)
    service.record_infusion(patient, start, start + timedelta(minutes=50), None)


def test_the_end_of_the_series_brings_every_questionnaire_the_next_day(app, db, clinic):
    patient = add_patient(db, clinic, "Dana", hours_ago=None)
    today = utcnow().astimezone(clinic.tz).date()
    first_day = today - timedelta(days=17)
    dates = spread_dates(first_day, 6)
    service.plan_course(patient, CoursePlan(tuple(dates)), None)
    for day in dates[:5]:
        infuse(patient, day)
    assert course_of(patient).series_end is None

    infuse(patient, dates[5])  # today: the series ends

    course = course_of(patient)
    assert course.series_end is not None
    ahead = [o for o in course.occurrences(utcnow() + timedelta(days=20)) if o.due_at > utcnow()]
    end = [o for o in ahead if o.reason == "end_of_series"]
    assert {o.instrument_id for o in end} == {"pcl5", "phq9", "gad7"}
    assert {o.due_at.astimezone(clinic.tz).date() for o in end} == {today + timedelta(days=1)}
    assert {o.reason for o in ahead} <= {"end_of_series", "maintenance"}
    reminders = pending_questionnaires(db, patient)
    assert {r.due_at for r in reminders if r.due_at < end[0].closes_at} == {end[0].due_at}
    # The baseline, planned before the first infusion and never answered, was missed.
    assert {o.reason for o in missed_for(patient)} >= {"baseline"}
