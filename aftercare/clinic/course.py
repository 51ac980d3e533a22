"""Planning a patient's treatment course from their page."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from ..care.course import CoursePlan, Maintenance, spread_dates
from ..models import Patient
from .access import get_for_clinic
from .blueprint import bp
from .course_forms import CourseForm
from .patient_page import render_patient
from .service import plan_course


@bp.post("/patients/<int:patient_id>/course")
@login_required
def course_plan(patient_id: int) -> ResponseReturnValue:
    patient = get_for_clinic(Patient, patient_id)
    form = CourseForm()
    if not form.validate_on_submit():
        return render_patient(patient, course_form=form, status=422)
    plan = CoursePlan(
        tuple(spread_dates(form.first_day.data, form.series_count.data, form.span_days.data)),
        Maintenance(form.maintenance.data),
        form.booster_every_weeks.data,
    )
    plan_course(patient, plan, planned_by_id=current_user.id)
    flash(f"Course planned: {plan.series_count} infusions from {plan.target_dates[0]:%d %b}.")
    return redirect(url_for("clinic.patient_detail", patient_id=patient.id) + "#course", code=303)
