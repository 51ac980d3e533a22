"""The patient page's course block: the plan, where the patient is in it, each questionnaire
against the baseline in words, and the form to plan or replan the course."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..care.course import DEFAULT_SERIES_COUNT, DEFAULT_SERIES_SPAN_DAYS, Position
from ..care.measurement import in_words
from ..courses import course_of_patient, plan_of, position_of
from ..models import Patient, QuestionnaireResponse, TreatmentCourse, utcnow
from ..questionnaires.outcomes import outcome
from ..questionnaires.thresholds import instruments_for_clinic
from .course_forms import CourseForm


@dataclass(frozen=True)
class Measure:
    """One questionnaire in words: "PCL-5: 28 (-14 from baseline 42: clinically meaningful
    improvement)"."""

    name: str
    latest: int | None
    words: str


@dataclass(frozen=True)
class CoursePanel:
    course: TreatmentCourse | None
    target_dates: list[date]
    position: Position | None
    measures: list[Measure]
    form: CourseForm


def course_panel(
    patient: Patient, responses: Sequence[QuestionnaireResponse], form: CourseForm | None
) -> CoursePanel:
    course = course_of_patient(patient)
    if form is None:
        form = CourseForm()
        if course is not None:
            plan = plan_of(course)
            form.series_count.data = plan.series_count
            form.first_day.data = plan.target_dates[0]
            form.span_days.data = (plan.target_dates[-1] - plan.target_dates[0]).days
            form.maintenance.data = course.maintenance
            form.booster_every_weeks.data = course.booster_every_weeks
        else:
            form.series_count.data = DEFAULT_SERIES_COUNT
            form.span_days.data = DEFAULT_SERIES_SPAN_DAYS
            form.first_day.data = utcnow().astimezone(patient.clinic.tz).date()
    measures = []
    for instrument in instruments_for_clinic(patient.clinic_id).values():
        found = outcome(patient, instrument, responses)
        if found.latest is not None:
            measures.append(
                Measure(
                    instrument.short_title,
                    found.latest.total,
                    in_words(instrument, found.latest),
                )
            )
    return CoursePanel(
        course=course,
        target_dates=list(plan_of(course).target_dates) if course else [],
        position=position_of(patient),
        measures=measures,
        form=form,
    )
