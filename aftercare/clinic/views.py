"""Clinician pages: sign-in, patients, infusions, enrollment links, check-ins, settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import audit
from ..extensions import db
from ..links import external_url_for
from ..models import Alert, Device, Patient, utcnow
from ..patient.enrollment import create_link, linked_devices
from ..reminders.push import remove_device_subscriptions
from .access import current_clinic, get_for_clinic
from .auth import admin_required
from .forms import (
    WORD_FIELDS,
    AcknowledgeForm,
    InfusionForm,
    PatientForm,
    RevokeForm,
    SettingsForm,
)
from .patient_list import patient_page
from .patient_page import render_patient
from .queries import open_alerts
from .service import record_infusion
from .settings import english_shown, form_data, overrides_from

bp = Blueprint("clinic", __name__, url_prefix="/clinic")


@bp.app_template_filter("local")
def local_time(moment: Any, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """A UTC timestamp in the signed-in clinician's clinic time zone."""
    if moment is None:
        return ""
    # Looked up once a request: the dashboard shows about a hundred times.
    if "clinic_tz" not in g:
        g.clinic_tz = current_clinic().tz
    return moment.astimezone(g.clinic_tz).strftime(fmt)


@bp.get("/")
@login_required
def dashboard() -> ResponseReturnValue:
    clinic = current_clinic()
    queue = open_alerts(
        clinic.id,
        utcnow(),
        overdue_after=timedelta(minutes=current_app.config["ALERT_OVERDUE_MINUTES"]),
    )
    alerts = queue.alerts
    listing = patient_page(
        clinic.id,
        utcnow(),
        query=request.args.get("q", ""),
        sort=request.args.get("sort", "triage"),
        page=request.args.get("page", 1, type=int) or 1,
    )
    page = render_template(
        "clinic/dashboard.html",
        alerts=alerts,
        waiting=queue.waiting,
        overdue=queue.overdue,
        listing=listing,
        sorts={
            "triage": "Most urgent",
            "recent": "Latest check-in",
            "infusion": "Latest infusion",
            "name": "Name",
        },
    )
    # Recorded once the page is made, and committed before it is shown: committing first would
    # expire every alert and patient on the page, to be read again one by one while rendering.
    audit.record_each(
        "alert.view",
        clinic_id=clinic.id,
        events=[(alert.patient_id, {"alert_id": alert.id}) for alert in alerts],
    )
    db.session.commit()
    return page


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
    link, token = create_link(patient, current_user.id, days=current_app.config["ENROLLMENT_DAYS"])
    audit.record("enrollment_link.create", clinic_id=patient.clinic_id, patient_id=patient.id)
    db.session.commit()
    url = external_url_for("patient.enroll", token=token)
    # segno writes the SVG itself from the URL; nothing in it comes from user input as markup.
    qr_svg = Markup(  # noqa: S704
        segno.make(url, error="m").svg_inline(scale=6, border=2, title="Enrollment QR code")
    )
    response = make_response(
        render_template(
            "clinic/enrollment.html", patient=patient, url=url, qr_svg=qr_svg, link=link
        )
    )
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


@bp.post("/alerts/<int:alert_id>/acknowledge")
@login_required
def alert_acknowledge(alert_id: int) -> ResponseReturnValue:
    alert = get_for_clinic(Alert, alert_id)
    form = AcknowledgeForm()
    if form.validate_on_submit() and alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by_id = current_user.id
        alert.acknowledgement_note = (form.note.data or "").strip()
        audit.record(
            "alert.acknowledge",
            clinic_id=alert.clinic_id,
            patient_id=alert.patient_id,
            detail={"alert_id": alert.id},
        )
        db.session.commit()
    # Back to where the button was; no address from the request, so no open redirect.
    if request.form.get("back") == "patient":
        return redirect(url_for("clinic.patient_detail", patient_id=alert.patient_id), code=303)
    return redirect(url_for("clinic.dashboard"), code=303)


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings() -> ResponseReturnValue:
    clinic = current_clinic()
    form = SettingsForm(data=form_data(clinic)) if request.method == "GET" else SettingsForm()
    if form.validate_on_submit():
        clinic.name = form.name.data.strip()
        clinic.timezone = form.timezone.data
        clinic.phone = (form.phone.data or "").strip()
        clinic.after_hours_phone = (form.after_hours_phone.data or "").strip()
        clinic.content, dropped = overrides_from(form, clinic.content or {})
        audit.record("clinic.settings", clinic_id=clinic.id)
        db.session.commit()
        flash("Settings saved. Patients see the new wording on their next visit.")
        if dropped:
            flash(
                "You changed the English but not its translation, so these translations were"
                " removed: " + "; ".join(dropped) + ". Until you write them again, those"
                " patients see your new English."
            )
        return redirect(url_for("clinic.settings"), code=303)
    return render_template(
        "clinic/settings.html",
        form=form,
        form_word_fields=list(WORD_FIELDS),
        english_shown=english_shown(clinic),
    ), (422 if form.errors else 200)
