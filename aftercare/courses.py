"""A patient's treatment course as the pages need it: the plan, their place in it, and when the
initial series ended. Reads only; planning a course is clinic/service.py's `plan_course`.

The rules are in care/course.py; this reads the rows they need.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import select

from .care.course import CoursePlan, Maintenance, Position, position, series_ended_at
from .extensions import db
from .models import Appointment, Infusion, Patient, TreatmentCourse, utcnow

# Appointments that are an infusion: they say when the next place will be filled.
INFUSION_KINDS = ("infusion", "booster")


def plan_of(course: TreatmentCourse) -> CoursePlan:
    """The stored course as care/course.py plans it."""
    return CoursePlan(
        tuple(date.fromisoformat(day) for day in course.target_dates),
        Maintenance(course.maintenance),
        course.booster_every_weeks,
    )


def course_of_patient(patient: Patient) -> TreatmentCourse | None:
    return db.session.scalar(
        select(TreatmentCourse).where(TreatmentCourse.patient_id == patient.id)
    )


def positions(ids: Iterable[int], tz: ZoneInfo, now: datetime | None = None) -> dict[int, Position]:
    """Each patient's place in their course, for those with a course planned, by patient id."""
    ids = list(ids)
    if not ids:
        return {}
    now = now or utcnow()
    courses = db.session.scalars(
        select(TreatmentCourse).where(TreatmentCourse.patient_id.in_(ids))
    ).all()
    if not courses:
        return {}
    planned = [course.patient_id for course in courses]
    infusion_days: dict[int, list[date]] = defaultdict(list)
    for patient_id, ended_at in db.session.execute(
        select(Infusion.patient_id, Infusion.ended_at).where(Infusion.patient_id.in_(planned))
    ):
        infusion_days[patient_id].append(ended_at.astimezone(tz).date())
    booked: dict[int, list[date]] = defaultdict(list)
    for patient_id, starts_at in db.session.execute(
        select(Appointment.patient_id, Appointment.starts_at).where(
            Appointment.patient_id.in_(planned),
            Appointment.kind.in_(INFUSION_KINDS),
            Appointment.cancelled_at.is_(None),
            Appointment.starts_at > now,
        )
    ):
        booked[patient_id].append(starts_at.astimezone(tz).date())
    today = now.astimezone(tz).date()
    return {
        course.patient_id: position(
            plan_of(course), infusion_days[course.patient_id], booked[course.patient_id], today
        )
        for course in courses
    }


def position_of(patient: Patient, now: datetime | None = None) -> Position | None:
    """The patient's place in their course; None without a course planned."""
    return positions([patient.id], patient.clinic.tz, now).get(patient.id)


def series_end_of(patient: Patient) -> datetime | None:
    """When the patient's initial series ended; None without a course or before its end."""
    course = course_of_patient(patient)
    if course is None:
        return None
    ends = [infusion.ended_at for infusion in patient.infusions]
    return series_ended_at(course.series_count, ends)


def day_in_words(day: date, today: date, language: str) -> str:
    """A day as a patient says it: "Thursday" within the coming week, else "Thursday, March 12"
    ("jueves", "jueves, 12 de marzo")."""
    if 0 <= (day - today).days < 7:
        return format_date(day, "EEEE", locale=language)
    pattern = "EEEE, MMMM d" if language == "en" else "EEEE, d 'de' MMMM"
    return format_date(day, pattern, locale=language)
