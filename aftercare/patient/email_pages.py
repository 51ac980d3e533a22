"""Reminders by email: the patient's page to add, change or remove an address, and the pages
the links in emails open (verify, unsubscribe), which need no linked phone."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField
from wtforms.validators import Email, InputRequired, Length

from .. import audit
from ..extensions import csrf, db, limiter
from ..fields import Form
from ..i18n import set_patient_language
from ..models import PatientEmail
from ..patient_access import current_patient, patient_required
from ..patient_email import (
    UNSUBSCRIBE_MAX_AGE_S,
    UNSUBSCRIBE_SALT,
    VERIFY_MAX_AGE_S,
    VERIFY_SALT,
    LinkRefused,
    email_for_token,
    email_is_on,
    email_of,
    mark_unsubscribed,
    mark_verified,
    queue_verification,
    remove_address,
    set_address,
    strip,
    verification_state,
)

bp = Blueprint("patient_email", __name__)


class EmailForm(Form):
    address = EmailField(
        _l("Email address"),
        filters=[strip],
        validators=[
            InputRequired(_l("Enter your email address.")),
            Length(max=254),
            Email(_l("Enter an email address like name@example.com."), granular_message=False),
        ],
    )
    always = BooleanField(_l("Send every reminder by email too"))


class PlainForm(Form):
    """A button with nothing but its CSRF token."""


@bp.route("/reminders/email", methods=["GET", "POST"])
@patient_required
@limiter.limit("10 per hour", methods=["POST"])
def settings() -> ResponseReturnValue:
    """The patient's email for reminders: add or change it, and send the link that verifies it."""
    patient = current_patient()
    email = email_of(patient)
    form = EmailForm(obj=None)
    if request.method == "GET" and email is not None:
        form.address.data, form.always.data = email.address, email.always
    if email_is_on() and form.validate_on_submit():
        email, must_verify = set_address(patient, form.address.data or "", form.always.data)
        if must_verify:
            # The scheduler sends it: a slow mail server never holds up the page.
            queue_verification(email)
        audit.record("email.set", clinic_id=patient.clinic_id, patient_id=patient.id)
        db.session.commit()
        done = "queued" if must_verify else "saved"
        return redirect(url_for("patient_email.settings", done=done))
    status = 422 if form.errors else 200
    page = render_template(
        "patient/email.html",
        form=form,
        email=email,
        email_on=email_is_on(),
        remove_form=PlainForm(),
        done=request.args.get("done", ""),
        verification=verification_state(email) if email is not None else "",
    )
    return page, status


@bp.post("/reminders/email/remove")
@patient_required
def remove() -> ResponseReturnValue:
    patient = current_patient()
    if PlainForm().validate_on_submit() and remove_address(patient):
        audit.record("email.remove", clinic_id=patient.clinic_id, patient_id=patient.id)
        db.session.commit()
        return redirect(url_for("patient_email.settings", done="removed"))
    return redirect(url_for("patient_email.settings"))


def _from_link(token: str, salt: str, max_age: int) -> PatientEmail | ResponseReturnValue:
    """The address a link names, in its patient's language; or the page saying why the link
    cannot be used (410 expired, 400 otherwise)."""
    try:
        email = email_for_token(token, salt, max_age)
    except LinkRefused as refused:
        expired = refused.reason == "expired"
        return render_template("patient/email_link.html", problem=refused.reason), (
            410 if expired else 400
        )
    set_patient_language(email.patient.language)
    return email


@bp.route("/email/verify/<token>", methods=["GET", "POST"])
def verify(token: str) -> ResponseReturnValue:
    """A button that confirms the address: opening the link alone (as a mail scanner does)
    changes nothing."""
    found = _from_link(token, VERIFY_SALT, VERIFY_MAX_AGE_S)
    if not isinstance(found, PatientEmail):
        return found
    form = PlainForm()
    if form.validate_on_submit():
        mark_verified(found)
        audit.record("email.verify", clinic_id=found.patient.clinic_id, patient_id=found.patient_id)
        db.session.commit()
        return render_template("patient/email_link.html", done="verified")
    return render_template("patient/email_link.html", confirm="verify", form=form)


@bp.get("/email/unsubscribe/<token>")
def unsubscribe_page(token: str) -> ResponseReturnValue:
    found = _from_link(token, UNSUBSCRIBE_SALT, UNSUBSCRIBE_MAX_AGE_S)
    if not isinstance(found, PatientEmail):
        return found
    return render_template("patient/email_link.html", confirm="unsubscribe")


# No CSRF token: a mail app's one-click unsubscribe (RFC 8058) posts to the link itself, and
# the signed token in it is what allows the change (it can only stop emails).
@csrf.exempt
@bp.post("/email/unsubscribe/<token>")
def unsubscribe(token: str) -> ResponseReturnValue:
    found = _from_link(token, UNSUBSCRIBE_SALT, UNSUBSCRIBE_MAX_AGE_S)
    if not isinstance(found, PatientEmail):
        return found
    mark_unsubscribed(found)
    audit.record(
        "email.unsubscribe", clinic_id=found.patient.clinic_id, patient_id=found.patient_id
    )
    db.session.commit()
    return render_template("patient/email_link.html", done="unsubscribed")
