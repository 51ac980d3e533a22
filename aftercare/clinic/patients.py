"""A clinician's pages for patients: adding one, and each patient's page (see patient_page.py)."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from .. import audit
from ..extensions import db
from ..models import Patient
from .access import get_for_clinic
from .blueprint import bp
from .forms import PatientForm
from .patient_page import render_patient


@bp.route("/patients/new", methods=["GET", "POST"])
@login_required
def patient_new() -> ResponseReturnValue:
    form = PatientForm()
    if form.validate_on_submit():
        patient = Patient(
            clinic_id=current_user.clinic_id, display_name=form.display_name.data.strip()
        )
        db.session.add(patient)
        db.session.flush()
        audit.record("patient.create", clinic_id=patient.clinic_id, patient_id=patient.id)
        db.session.commit()
        return redirect(url_for("clinic.patient_detail", patient_id=patient.id), code=303)
    return render_template("clinic/patient_new.html", form=form), (422 if form.errors else 200)


@bp.get("/patients/<int:patient_id>")
@login_required
def patient_detail(patient_id: int) -> ResponseReturnValue:
    return render_patient(get_for_clinic(Patient, patient_id))
