"""A patient's email for reminders, added by the clinic with the patient's consent noted.

The address is used only once the patient opens the link sent to it.
"""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from .. import audit
from ..extensions import db
from ..models import Patient
from ..patient_email import email_is_on, queue_verification, set_address
from .access import get_for_clinic
from .blueprint import bp
from .forms import ClinicEmailForm


@bp.post("/patients/<int:patient_id>/email")
@login_required
def patient_email(patient_id: int) -> ResponseReturnValue:
    patient = get_for_clinic(Patient, patient_id)
    back = redirect(url_for("clinic.patient_detail", patient_id=patient.id) + "#email-heading")
    if not email_is_on():
        flash("Email is off: set AFTERCARE_SMTP_URL to send reminders by email.", "error")
        return back
    form = ClinicEmailForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "error")
        return back
    email, must_verify = set_address(
        patient, form.address.data or "", form.always.data, consent_noted_by=current_user
    )
    if must_verify:
        queue_verification(email)  # the scheduler sends it: no mail server in this request
    audit.record(
        "email.set",
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        detail={"consent_noted": True},
    )
    db.session.commit()
    if must_verify:
        flash(
            "Saved. The confirmation link goes out on the scheduler's next pass; "
            "the patient must open it.",
            "success",
        )
    else:
        flash("Saved.", "success")
    return back
