"""Recording a patient's infusion from their page."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from ..models import Patient, utcnow
from .access import current_clinic, get_for_clinic
from .blueprint import bp
from .forms import InfusionForm
from .patient_page import render_patient
from .service import record_infusion


@bp.post("/patients/<int:patient_id>/infusions")
@login_required
def infusion_create(patient_id: int) -> ResponseReturnValue:
    patient = get_for_clinic(Patient, patient_id)
    form = InfusionForm()
    times = form.to_utc(current_clinic().tz) if form.validate_on_submit() else None
    if times is None:
        return render_patient(patient, infusion_form=form, status=422)
    started, ended = times
    if ended > utcnow():
        form.ended.errors = ["Record the infusion once it has ended."]
        return render_patient(patient, infusion_form=form, status=422)
    record_infusion(patient, started, ended, recorded_by_id=current_user.id)
    flash("Infusion recorded. The patient's instructions now count from its end.")
    return redirect(url_for("clinic.patient_detail", patient_id=patient.id), code=303)
