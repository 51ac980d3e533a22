"""Error pages: plain words, the right status, never a stack trace."""

from __future__ import annotations

import contextlib

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from .extensions import db

# In the page's language: a patient can meet any of these.
MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have access to this page."),
    404: _l("There is nothing here."),
    405: _l("That action is not allowed here."),
    413: _l("What you sent is too large."),
    429: _l("Too many tries. Please wait a little and try again."),
}

# The database cannot be reached (restarting, down, or every connection busy): a 503 that says
# what happened to what the person sent. Phones keep check-ins and questionnaire answers in
# their outbox (static/js/outbox.js) and send them again after any 5xx.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
UNAVAILABLE_MESSAGES = {
    "patient.check_in_submit": _l(
        "Your check-in could not be saved just now. It is kept on this phone; please try again."
    ),
    "questionnaires.submit": _l(
        "Your answers could not be saved just now. They are kept on this phone; please try again."
    ),
}
UNAVAILABLE_MESSAGE = _l(
    "Aftercare cannot reach its records just now. Please try again in a minute."
)
RETRY_AFTER_SECONDS = 30


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" or request.is_json


def _unavailable(error: Exception):  # type: ignore[no-untyped-def]
    """503 for a database that cannot be reached, rendered without asking the database again."""
    current_app.logger.warning("database unavailable: %s", str(error).splitlines()[0])
    # The connection may be gone already; the session is removed at the end of the request.
    with contextlib.suppress(*DATABASE_UNAVAILABLE):
        db.session.rollback()
    # The page's context would otherwise look up the phone and the clinician in the database
    # that just failed: render it as for nobody in particular (the crisis bar stays).
    g.device = None
    g._login_user = current_app.login_manager.anonymous_user()
    message = UNAVAILABLE_MESSAGES.get(request.endpoint or "", UNAVAILABLE_MESSAGE)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if _wants_json():
        return jsonify(error="unavailable", message=message), 503, headers
    return render_template("error.html", code=503, message=message), 503, headers


def init_errors(app: Flask) -> None:
    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, _unavailable)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        message = _("This form has expired. Please reload the page and try again.")
        if _wants_json():
            return jsonify(error="csrf", message=message), 400
        return render_template("error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        code = error.code or 500
        message = str(MESSAGES.get(code, error.description or _("Something went wrong.")))
        if isinstance(error, RateLimitExceeded) and error.limit.error_message:
            message = error.description  # the limit's own words: how long to wait
        if _wants_json():
            return jsonify(error=error.name.lower().replace(" ", "_"), message=message), code
        return render_template("error.html", code=code, message=message), code
