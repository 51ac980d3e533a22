"""Admin pages: the clinic's clinicians (invite, disable, reset two-factor or password) and the
audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import delete, select

from .. import audit
from ..extensions import db
from ..links import external_url_for
from ..models import AuditEvent, Clinician, Patient, utcnow
from ..request_input import query_number
from ..tokens import hash_token, new_token
from . import sessions, twofactor
from .access import current_clinic, get_for_clinic
from .audit_words import day_heading, in_words
from .auth import admin_required
from .forms import DeletePatientForm, InviteForm, RevokeForm

bp = Blueprint("clinic_admin", __name__, url_prefix="/clinic/admin")

INVITE_DAYS = 7
AUDIT_PAGE = 100


def _team_page(
    form: InviteForm, link: str | None = None, link_for: Clinician | None = None
) -> ResponseReturnValue:
    """The clinicians page, with a one-time link to show if one was just made."""
    team = db.session.scalars(
        select(Clinician)
        .where(Clinician.clinic_id == current_user.clinic_id)
        .order_by(Clinician.name)
    ).all()
    status = 422 if form.errors else 200
    return render_template(
        "clinic/admin/clinicians.html",
        form=form,
        team=team,
        invite_url=link if link_for is None else None,
        password_url=link if link_for is not None else None,
        password_for=link_for,
        button_form=RevokeForm(),
    ), status


def _set_password_link(clinician: Clinician) -> str:
    """A new one-time link for the clinician to choose a password; only its hash is kept."""
    token = new_token()
    clinician.invite_token_hash = hash_token(token)
    clinician.invite_expires_at = utcnow() + timedelta(days=INVITE_DAYS)
    return external_url_for("clinic_auth.accept_invite", token=token)


@bp.route("/clinicians", methods=["GET", "POST"])
@admin_required
def clinicians() -> ResponseReturnValue:
    form = InviteForm()
    invite_url = None
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        if db.session.scalar(select(Clinician).where(Clinician.email == email)):
            form.email.errors.append("That email already has an account.")
        else:
            clinician = Clinician(
                clinic_id=current_user.clinic_id,
                email=email,
                name=form.name.data.strip(),
                role=form.role.data,
                password_hash="",
            )
            invite_url = _set_password_link(clinician)
            db.session.add(clinician)
            db.session.flush()
            audit.record(
                "clinician.invite",
                clinic_id=current_user.clinic_id,
                detail={"clinician_id": clinician.id, "role": clinician.role},
            )
            db.session.commit()
            form = InviteForm(formdata=None)
    return _team_page(form, invite_url)


def _change(clinician_id: int, action: str) -> ResponseReturnValue:
    clinician = get_for_clinic(Clinician, clinician_id)
    if not RevokeForm().validate_on_submit():
        abort(400)
    if clinician.id == current_user.id and action == "disable":
        flash("You cannot disable your own account.")
        return redirect(url_for("clinic_admin.clinicians"), 303)
    detail = {"clinician_id": clinician.id}
    if action == "disable":
        clinician.is_enabled = False
        # Signed out everywhere at once: a copy of their cookie is worth nothing from now on.
        detail["sessions_ended"] = sessions.end_all(clinician.id)
    elif action == "enable":
        clinician.is_enabled = True
    elif action == "reset_two_factor":
        twofactor.disable(clinician)
        detail["sessions_ended"] = sessions.end_all(clinician.id)
    audit.record(f"clinician.{action}", clinic_id=current_user.clinic_id, detail=detail)
    db.session.commit()
    flash(f"Done: {clinician.name}.")
    return redirect(url_for("clinic_admin.clinicians"), 303)


@bp.post("/clinicians/<int:clinician_id>/disable")
@admin_required
def disable(clinician_id: int) -> ResponseReturnValue:
    return _change(clinician_id, "disable")


@bp.post("/clinicians/<int:clinician_id>/enable")
@admin_required
def enable(clinician_id: int) -> ResponseReturnValue:
    return _change(clinician_id, "enable")


@bp.post("/clinicians/<int:clinician_id>/reset-two-factor")
@admin_required
def reset_two_factor(clinician_id: int) -> ResponseReturnValue:
    return _change(clinician_id, "reset_two_factor")


@bp.post("/clinicians/<int:clinician_id>/reset-password")
@admin_required
def reset_password(clinician_id: int) -> ResponseReturnValue:
    """The old password stops working and every session ends; the clinician gets a link to
    choose a new one (and still needs their authenticator app, if they have one)."""
    clinician = get_for_clinic(Clinician, clinician_id)
    if not RevokeForm().validate_on_submit():
        abort(400)
    if clinician.id == current_user.id:
        flash("You cannot reset your own password. Ask another admin.")
        return redirect(url_for("clinic_admin.clinicians"), 303)
    clinician.password_hash = ""
    link = _set_password_link(clinician)
    ended = sessions.end_all(clinician.id)
    audit.record(
        "clinician.reset_password",
        clinic_id=current_user.clinic_id,
        detail={"clinician_id": clinician.id, "sessions_ended": ended},
    )
    db.session.commit()
    return _team_page(InviteForm(formdata=None), link, link_for=clinician)


def _day(name: str) -> datetime | None:
    """A date from the query string, as the filter's date field sends it; 400 if it is not."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        abort(400, f"'{name}' must be a date like 2026-11-27.")


@bp.get("/audit")
@admin_required
def audit_trail() -> ResponseReturnValue:
    """Who viewed or changed what, newest first; filter by patient, person, action, dates."""
    query = select(AuditEvent).where(AuditEvent.clinic_id == current_user.clinic_id)
    filters = {key: request.args.get(key, "").strip() for key in ("patient", "actor", "action")}
    if (patient_id := query_number("patient")) is not None:
        query = query.where(AuditEvent.patient_id == patient_id)
    if filters["actor"]:
        query = query.where(AuditEvent.actor == filters["actor"][:64])
    if filters["action"]:
        query = query.where(AuditEvent.action.startswith(filters["action"][:64], autoescape=True))
    if since := _day("since"):
        query = query.where(AuditEvent.at >= since)
    # The last day there is (9999-12-31) has no day after it: it sets no end.
    if (until := _day("until")) and until.date() < date.max:
        query = query.where(AuditEvent.at < until + timedelta(days=1))
    page = query_number("page", 1)
    events = db.session.scalars(
        query.order_by(AuditEvent.id.desc()).offset((page - 1) * AUDIT_PAGE).limit(AUDIT_PAGE + 1)
    ).all()
    tz = current_clinic().tz
    return render_template(
        "clinic/admin/audit.html",
        lines=in_words(current_user.clinic_id, events[:AUDIT_PAGE], tz),
        today=utcnow().astimezone(tz).date(),
        day_heading=day_heading,
        more=len(events) > AUDIT_PAGE,
        page=page,
        filters={
            **filters,
            "since": request.args.get("since", ""),
            "until": request.args.get("until", ""),
        },
    )


@bp.post("/patients/<int:patient_id>/delete")
@admin_required
def delete_patient(patient_id: int) -> ResponseReturnValue:
    """Delete a patient and everything about them; the audit trail keeps that it happened."""
    patient = get_for_clinic(Patient, patient_id)
    form = DeletePatientForm()
    if not form.validate_on_submit() or form.confirm.data.strip() != patient.display_name:
        flash("To delete, type the patient's name or code exactly as shown.")
        return redirect(url_for("clinic.patient_detail", patient_id=patient.id), 303)
    audit.record(
        "patient.delete",
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        detail={"deleted_by": current_user.id},
    )
    # The database removes what hangs off the patient (ON DELETE CASCADE), in one statement.
    db.session.execute(delete(Patient).where(Patient.id == patient.id))
    db.session.commit()
    flash("The patient and all their data were deleted.")
    return redirect(url_for("clinic.dashboard"), 303)
