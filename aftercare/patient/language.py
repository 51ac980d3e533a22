"""The language switch on patient pages, and the language a patient's browser asks for."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, redirect, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from wtforms import HiddenField
from wtforms.validators import AnyOf, InputRequired

from ..extensions import csrf, db
from ..i18n import LANGUAGE_COOKIE, LANGUAGES, browser_language
from ..models import Patient
from ..patient_access import PATIENT_BLUEPRINTS, current_device
from ..redirects import safe_redirect_target
from ..reminders.rows import reword_pending
from ..submissions import LongLivedTokenForm

bp = Blueprint("language", __name__)
REMEMBER_FOR = timedelta(days=365)


class LanguageForm(LongLivedTokenForm):
    """The switch: one button per other language.

    Patient pages are kept on the phone for offline use: the switch on a kept page must still
    work hours later, like the check-in.
    """

    language = HiddenField(validators=[InputRequired(), AnyOf(list(LANGUAGES))])
    next = HiddenField()


def note_language(patient: Patient, *, chosen: str | None = None) -> None:
    """Keep the patient's chosen or browser language; re-word unsent reminders if it changed."""
    before = patient.notification_language
    if chosen is not None:
        patient.language = chosen
    else:
        detected = browser_language()
        if detected is None or detected == patient.browser_language:
            return
        patient.browser_language = detected
    if patient.notification_language != before:
        reword_pending(patient)


def remember_browser_language() -> None:
    """A patient who has not chosen gets reminders in the language their browser asks for."""
    # Patient pages only: a health check or the service worker's script reads no patient.
    if request.method != "GET" or request.blueprint not in PATIENT_BLUEPRINTS:
        return
    device = current_device()
    if device is None or device.patient.language is not None:
        return
    patient = device.patient
    before = patient.browser_language
    note_language(patient)
    if patient.browser_language != before:
        db.session.commit()


# CSRF is checked by LanguageForm, with the longer life a page kept on the phone needs.
@csrf.exempt
@bp.post("/language")
def switch() -> ResponseReturnValue:
    form = LanguageForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            raise CSRFError(form.csrf_token.errors[0])
        abort(400)
    # Back to the page the switch was on: a path on this site, never another site.
    response = redirect(safe_redirect_target(form.next.data, default="/"), code=303)
    language = form.language.data
    device = current_device()
    if device is not None:
        note_language(device.patient, chosen=language)
        db.session.commit()
    # Also for this browser before it is linked (the enrollment pages), and after.
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=int(REMEMBER_FOR.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=current_app.config["HTTPS"],
        path="/",
    )
    return response
