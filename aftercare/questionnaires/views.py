"""Patient pages for questionnaires: answer one (online or queued offline), see your scores."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..care.instruments import Instrument
from ..care.questionnaire_alerts import rules_for_browser
from ..care.scoring import IncompleteAnswers, InvalidAnswer, please_answer
from ..extensions import csrf, db
from ..fields import Form
from ..i18n import current_language
from ..models import QuestionnaireResponse
from ..patient.offline import believable_time
from ..patient.session import current_patient, load_device, patient_required
from .progress import progress
from .service import Submission, help_with_result, instruments, save_response

bp = Blueprint("questionnaires", __name__)
KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
NUMBER = re.compile(r"-?[0-9]{1,6}")


class TokenForm(Form):
    """Only the CSRF token; like the check-in, it may be sent hours after the page loaded."""

    class Meta:
        @property
        def csrf_time_limit(self) -> int:
            return current_app.config["CHECKIN_CSRF_HOURS"] * 3600


def _instrument(instrument_id: str) -> Instrument:
    found = instruments().get(instrument_id)
    if found is None:
        abort(404)
    return found


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == (
        "application/json"
    )


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


@bp.get("/questionnaires/<instrument_id>")
@patient_required
def form(instrument_id: str) -> ResponseReturnValue:
    instrument = _instrument(instrument_id)
    return render_template(
        "patient/questionnaire.html",
        instrument=instrument,
        form=TokenForm(),
        key=uuid.uuid4().hex,
        errors=[],
        answers={},
        alert_rules=rules_for_browser(instrument.scoring.alerts),
    )


# CSRF is checked by TokenForm, with the longer life a queued submission needs.
@csrf.exempt
@bp.post("/questionnaires/<instrument_id>")
@patient_required
def submit(instrument_id: str) -> ResponseReturnValue:
    instrument = _instrument(instrument_id)
    token = TokenForm()
    if not token.validate_on_submit():
        message = _("This form has expired. Please reload the page and try again.")
        if _wants_json():
            return jsonify(error="csrf", message=message), 400
        return render_template("error.html", code=400, message=message), 400
    key = request.form.get("idempotency_key", "")
    answers, extra = _parse(instrument)

    def refuse(message: str) -> ResponseReturnValue:
        if _wants_json():
            return jsonify(error="invalid", message=message), 422
        return render_template(
            "patient/questionnaire.html",
            instrument=instrument,
            form=token,
            key=key if KEY.match(key) else uuid.uuid4().hex,
            errors=[message],
            answers=answers,
            alert_rules=rules_for_browser(instrument.scoring.alerts),
        ), 422

    if not KEY.match(key):
        return refuse(_("The form's key is not valid. Please reload the page."))
    submission = Submission(
        instrument, key, answers, extra, believable_time(request.form.get("filled_at"))
    )
    try:
        response, created = save_response(current_patient(), load_device(), submission)
    except IncompleteAnswers as error:
        return refuse(please_answer(error.missing, _))
    except InvalidAnswer:
        return refuse(_("One of the answers is not one of the choices. Please check your answers."))
    result_url = url_for("questionnaires.result", response_id=response.id)
    if _wants_json():
        return jsonify(id=response.id, result_url=result_url, created=created), (
            201 if created else 200
        )
    return redirect(result_url, code=303)


@bp.get("/questionnaires/responses/<int:response_id>")
@patient_required
def result(response_id: int) -> ResponseReturnValue:
    patient = current_patient()
    response = db.session.get(QuestionnaireResponse, response_id)
    if response is None or response.patient_id != patient.id:
        abort(404)
    instrument = instruments().get(response.instrument_id)
    return render_template(
        "patient/questionnaire_result.html",
        response=response,
        instrument=instrument,
        help_key=help_with_result(response, instrument),
    )
