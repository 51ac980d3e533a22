"""A clinician's pages for patients: adding one, changing their name or phone number, and each
patient's page (see patient_page.py)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from .. import audit
from ..extensions import db
from ..models import Patient
from .access import get_for_clinic
from .blueprint import bp
from .forms import PatientForm
from .patient_page import render_patient
from .phones import phone_display


@bp.route("/patients/new", methods=["GET", "POST"])
@login_required
def patient_new() -> ResponseReturnValue:
    form = PatientForm()
    if form.validate_on_submit():
        patient = Patient(
            clinic_id=current_user.clinic_id,
            display_name=form.display_name.data.strip(),
            phone=form.phone_e164,
        )
        db.session.add(patient)
        db.session.flush()
        audit.record("patient.create", clinic_id=patient.clinic_id, patient_id=patient.id)
        db.session.commit()
        return redirect(url_for("clinic.patient_detail", patient_id=patient.id), code=303)
    return render_template("clinic/patient_new.html", form=form), (422 if form.errors else 200)


@bp.route("/patients/<int:patient_id>/edit", methods=["GET", "POST"])
@login_required
def patient_edit(patient_id: int) -> ResponseReturnValue:
    patient = get_for_clinic(Patient, patient_id)
    form = PatientForm(obj=patient)
    if not form.is_submitted():
        form.phone.data = phone_display(patient.phone)  # as the clinic dials it, not E.164
    if form.validate_on_submit():
        before = {"display_name": patient.display_name, "phone": patient.phone}
        patient.display_name = form.display_name.data.strip()
        patient.phone = form.phone_e164
        changed = [name for name, value in before.items() if getattr(patient, name) != value]
        if changed:
            # Which details changed, not what they were or became: the trail holds no numbers.
            audit.record(
                "patient.update",
                clinic_id=patient.clinic_id,
                patient_id=patient.id,
                detail={"changed": changed},
            )
        db.session.commit()
        flash(f"{patient.display_name}'s details are saved." if changed else "Nothing changed.")
        return redirect(url_for("clinic.patient_detail", patient_id=patient.id), code=303)
    page = render_template("clinic/patient_edit.html", form=form, patient=patient)
    return page, (422 if form.errors else 200)


@bp.get("/patients/<int:patient_id>")
@login_required
def patient_detail(patient_id: int) -> ResponseReturnValue:
    return render_patient(get_for_clinic(Patient, patient_id))
