"""Clinician pages for appointments: book, change and cancel, with their reminders."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from .. import audit
from ..extensions import db
from ..models import Appointment, utcnow
from ..questionnaires.schedule import plan_questionnaire_reminders
from ..reminders.planning import plan_appointment
from .access import current_clinic, get_appointment_for_clinician, get_patient_for_clinician
from .forms import AppointmentForm, RevokeForm
from .views import render_patient

bp = Blueprint("appointments", __name__, url_prefix="/clinic")


@bp.post("/patients/<int:patient_id>/appointments")
@login_required
def create(patient_id: int) -> ResponseReturnValue:
    patient = get_patient_for_clinician(patient_id)
    form = AppointmentForm()
    starts_at = form.starts_at(current_clinic().tz, utcnow()) if form.validate_on_submit() else None
    if starts_at is None:
        return render_patient(patient, appointment_form=form, status=422)
    appointment = Appointment(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind=form.kind.data,
        starts_at=starts_at,
        duration_minutes=form.duration_minutes.data,
        created_by_id=current_user.id,
    )
    db.session.add(appointment)
    db.session.flush()
    plan_appointment(appointment)
    plan_questionnaire_reminders(patient)
    audit.record(
        "appointment.create",
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        detail={"appointment_id": appointment.id},
    )
    db.session.commit()
    flash("Appointment booked. The patient will get reminders before it.")
    return redirect(url_for("clinic.patient_detail", patient_id=patient.id), code=303)


@bp.route("/appointments/<int:appointment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(appointment_id: int) -> ResponseReturnValue:
    appointment = get_appointment_for_clinician(appointment_id)
    if appointment.is_cancelled:
        flash("That appointment was cancelled; book a new one instead.")
        return redirect(url_for("clinic.patient_detail", patient_id=appointment.patient_id))
    tz = current_clinic().tz
    form = AppointmentForm()
    if not form.is_submitted():
        local = appointment.starts_at.astimezone(tz)
        form.kind.data = appointment.kind
        form.day.data = local.date()
        form.starts.data = local.time()
        form.duration_minutes.data = appointment.duration_minutes
    elif form.validate() and (starts_at := form.starts_at(tz, utcnow())) is not None:
        appointment.kind = form.kind.data
        appointment.starts_at = starts_at
        appointment.duration_minutes = form.duration_minutes.data
        appointment.updated_at = utcnow()
        plan_appointment(appointment)
        plan_questionnaire_reminders(appointment.patient)
        audit.record(
            "appointment.update",
            clinic_id=appointment.clinic_id,
            patient_id=appointment.patient_id,
            detail={"appointment_id": appointment.id},
        )
        db.session.commit()
        flash("Appointment changed. Its reminders now follow the new time.")
        return redirect(url_for("clinic.patient_detail", patient_id=appointment.patient_id), 303)
    status = 422 if form.errors else 200
    return render_template(
        "clinic/appointment_edit.html", form=form, appointment=appointment
    ), status


@bp.post("/appointments/<int:appointment_id>/cancel")
@login_required
def cancel(appointment_id: int) -> ResponseReturnValue:
    appointment = get_appointment_for_clinician(appointment_id)
    if RevokeForm().validate_on_submit() and not appointment.is_cancelled:
        appointment.cancelled_at = utcnow()
        plan_appointment(appointment)  # cancels the reminders not sent yet
        plan_questionnaire_reminders(appointment.patient)
        audit.record(
            "appointment.cancel",
            clinic_id=appointment.clinic_id,
            patient_id=appointment.patient_id,
            detail={"appointment_id": appointment.id},
        )
        db.session.commit()
        flash("Appointment cancelled, with its reminders.")
    return redirect(url_for("clinic.patient_detail", patient_id=appointment.patient_id), 303)
