"""Object-level access: a clinician reaches only their own clinic's objects, others are 404."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from ..extensions import db
from ..models import Alert, Appointment, Clinic, Patient


def current_clinic() -> Clinic:
    return current_user.clinic


def get_patient_for_clinician(patient_id: int) -> Patient:
    patient = db.session.get(Patient, patient_id)
    if patient is None or patient.clinic_id != current_user.clinic_id:
        abort(404)
    return patient


def get_alert_for_clinician(alert_id: int) -> Alert:
    alert = db.session.get(Alert, alert_id)
    if alert is None or alert.clinic_id != current_user.clinic_id:
        abort(404)
    return alert


def get_appointment_for_clinician(appointment_id: int) -> Appointment:
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.clinic_id != current_user.clinic_id:
        abort(404)
    return appointment
