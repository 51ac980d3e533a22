"""Patient pages for questionnaires: answer one (online or queued offline), see your scores."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from .. import submissions
from ..care.instruments import Instrument
from ..care.questionnaire_alerts import rules_for_browser
from ..care.scoring import IncompleteAnswers, InvalidAnswer, please_answer
from ..extensions import csrf
from ..i18n import current_language
from ..models import QuestionnaireResponse
from ..patient_access import current_device, current_patient, get_for_patient, patient_required
from .progress import progress
from .service import Submission, help_with_result, instruments, save_response

bp = Blueprint("questionnaires", __name__)
KEY = re.compile(submissions.IDEMPOTENCY_KEY)
NUMBER = re.compile(r"-?[0-9]{1,6}")


def _instrument(instrument_id: str) -> Instrument:
    found = instruments().get(instrument_id)
    if found is None:
        abort(404)
    return found


def _parse(instrument: Instrument) -> tuple[dict[int, Any], dict[str, int]]:
    """The answers as sent; scoring decides whether they are complete and valid."""
    answers: dict[int, Any] = {}
    for item in instrument.items:
        raw = request.form.get(f"item-{item.number}", "").strip()
        if raw:
            # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
            answers[item.number] = int(raw) if NUMBER.fullmatch(raw) else raw
    extra = {}
    for question in instrument.extra_questions:
        raw = request.form.get(f"extra-{question.key}", "").strip()
        allowed = {option.value for option in question.options}
        if NUMBER.fullmatch(raw) and int(raw) in allowed:
            extra[question.key] = int(raw)
    return answers, extra


@bp.get("/questionnaires")
@patient_required
def index() -> ResponseReturnValue:
    rows = progress(current_patient(), current_language(), _)
    return render_template("patient/questionnaires.html", rows=rows)


def _form_page(
    instrument: Instrument,
    token: submissions.LongLivedTokenForm,
    key: str,
    errors: list[str],
    answers: dict[int, Any],
) -> str:
    return render_template(
        "patient/questionnaire.html",
        instrument=instrument,
        form=token,
        key=key,
        errors=errors,
        answers=answers,
        alert_rules=rules_for_browser(instrument.scoring.alerts),
    )


@bp.get("/questionnaires/<instrument_id>")
@patient_required
def form(instrument_id: str) -> ResponseReturnValue:
    instrument = _instrument(instrument_id)
    # The form is only the CSRF token: the answers are read by _parse and checked by scoring.
    return _form_page(instrument, submissions.LongLivedTokenForm(), uuid.uuid4().hex, [], {})


# CSRF is checked by a LongLivedTokenForm, with the longer life a queued submission needs.
@csrf.exempt
@bp.post("/questionnaires/<instrument_id>")
@patient_required
def submit(instrument_id: str) -> ResponseReturnValue:
    instrument = _instrument(instrument_id)
    token = submissions.LongLivedTokenForm()
    if not token.validate_on_submit():
        return submissions.expired()
    key = request.form.get("idempotency_key", "")
    answers, extra = _parse(instrument)

    def refuse(message: str) -> ResponseReturnValue:
        page_key = key if KEY.match(key) else uuid.uuid4().hex
        return submissions.invalid(
            lambda: _form_page(instrument, token, page_key, [message], answers), message=message
        )

    if not KEY.match(key):
        return refuse(_("The form's key is not valid. Please reload the page."))
    filled_at = submissions.believable_time(request.form.get("filled_at"))
    submission = Submission(instrument, key, answers, extra, filled_at)
    try:
        response, created = save_response(current_patient(), current_device(), submission)
    except IncompleteAnswers as error:
        return refuse(please_answer(error.missing, _))
    except InvalidAnswer:
        return refuse(_("One of the answers is not one of the choices. Please check your answers."))
    return submissions.stored(
        url_for("questionnaires.result", response_id=response.id), created, id=response.id
    )


@bp.get("/questionnaires/responses/<int:response_id>")
@patient_required
def result(response_id: int) -> ResponseReturnValue:
    response = get_for_patient(QuestionnaireResponse, response_id)
    instrument = instruments().get(response.instrument_id)
    return render_template(
        "patient/questionnaire_result.html",
        response=response,
        instrument=instrument,
        help_key=help_with_result(response, instrument),
    )
