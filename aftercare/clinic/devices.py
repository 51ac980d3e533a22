"""A patient's phones: linking one with a one-time enrollment link (a QR code), unlinking one."""

from __future__ import annotations

import segno
from flask import (
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import audit
from ..enrollment import create_link, linked_devices
from ..extensions import db
from ..links import external_url_for
from ..models import Device, Patient, utcnow
from ..reminders.push_subscriptions import remove_device_subscriptions
from .access import get_for_clinic
from .blueprint import bp
from .forms import RevokeForm


@bp.post("/patients/<int:patient_id>/enrollment-link")
@login_required
def enrollment_link(patient_id: int) -> ResponseReturnValue:
    """Make a one-time link and show it once, as a QR code: only its hash is kept."""
    patient = get_for_clinic(Patient, patient_id)
    if not RevokeForm().validate_on_submit():
        return redirect(url_for("clinic.patient_detail", patient_id=patient.id))
    most = current_app.config["MAX_DEVICES"]
    if linked_devices(patient.id) >= most:
        # The clinic chooses which phone goes; none is unlinked behind anyone's back.
        flash(
            f"{patient.display_name} already has {most} linked phones, the most allowed. "
            "Unlink one they no longer use, then make a new link."
        )
        return redirect(url_for("clinic.patient_detail", patient_id=patient.id), code=303)
    shown = new_link(patient)
    return show_once(render_template("clinic/enrollment.html", patient=patient, **shown))


def new_link(patient: Patient) -> dict[str, object]:
    """Make, audit and commit a one-time enrollment link: the link, its URL and its QR code."""
    link, token = create_link(patient, current_user.id, days=current_app.config["ENROLLMENT_DAYS"])
    audit.record("enrollment_link.create", clinic_id=patient.clinic_id, patient_id=patient.id)
    db.session.commit()
    url = external_url_for("patient.enroll", token=token)
    # segno writes the SVG itself from the URL; nothing in it comes from user input as markup.
    qr_svg = Markup(  # noqa: S704
        segno.make(url, error="m").svg_inline(scale=6, border=2, title="Enrollment QR code")
    )
    return {"link": link, "url": url, "qr_svg": qr_svg}


def show_once(page: str) -> Response:
    """A page that holds a one-time link: no cache keeps a copy of it."""
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/patients/<int:patient_id>/devices/<int:device_id>/revoke")
@login_required
def device_revoke(patient_id: int, device_id: int) -> ResponseReturnValue:
    device = get_for_clinic(Device, device_id, patient_id=patient_id)
    patient = device.patient
    if RevokeForm().validate_on_submit() and device.revoked_at is None:
        device.revoked_at = utcnow()
        # In the same transaction: from this commit on, no reminder can reach that phone.
        remove_device_subscriptions(device.id)
        audit.record(
            "device.revoke",
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            detail={"device_id": device.id},
        )
        db.session.commit()
        flash("That phone is no longer linked.")
    return redirect(url_for("clinic.patient_detail", patient_id=patient.id), code=303)
