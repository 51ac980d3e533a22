"""Clinician pages for appointments: book, change and cancel, with their reminders."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from ..models import Appointment, Patient, utcnow
from .access import current_clinic, get_for_clinic
from .forms import AppointmentForm, RevokeForm
from .patient_page import render_patient
from .service import book_appointment, cancel_appointment, change_appointment

bp = Blueprint("appointments", __name__, url_prefix="/clinic")


@bp.post("/patients/<int:patient_id>/appointments")
@login_required
def create(patient_id: int) -> ResponseReturnValue:
    patient = get_for_clinic(Patient, patient_id)
    form = AppointmentForm()
    starts_at = form.starts_at(current_clinic().tz, utcnow()) if form.validate_on_submit() else None
    if starts_at is None:
        return render_patient(patient, appointment_form=form, status=422)
    book_appointment(
        patient,
        kind=form.kind.data,
        starts_at=starts_at,
        duration_minutes=form.duration_minutes.data,
        created_by_id=current_user.id,
    )
    flash("Appointment booked. The patient will get reminders before it.")
    return redirect(url_for("clinic.patient_detail", patient_id=patient.id), code=303)


@bp.route("/appointments/<int:appointment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(appointment_id: int) -> ResponseReturnValue:
    appointment = get_for_clinic(Appointment, appointment_id)
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
        change_appointment(
            appointment,
            kind=form.kind.data,
            starts_at=starts_at,
            duration_minutes=form.duration_minutes.data,
        )
        flash("Appointment changed. Its reminders now follow the new time.")
        return redirect(url_for("clinic.patient_detail", patient_id=appointment.patient_id), 303)
    status = 422 if form.errors else 200
    return render_template(
        "clinic/appointment_edit.html", form=form, appointment=appointment
    ), status


@bp.post("/appointments/<int:appointment_id>/cancel")
@login_required
def cancel(appointment_id: int) -> ResponseReturnValue:
    appointment = get_for_clinic(Appointment, appointment_id)
    if RevokeForm().validate_on_submit() and cancel_appointment(appointment):
        flash("Appointment cancelled, with its reminders.")
    return redirect(url_for("clinic.patient_detail", patient_id=appointment.patient_id), 303)
