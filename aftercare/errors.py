"""Error pages: plain words, the right status, never a stack trace.

A server error (5xx) is logged once (aftercare.error_log) and its page shows the request's
reference, so that staff can report it and it can be found in the log.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from .error_log import already_logged, describe, log_server_error
from .extensions import db
from .request_ids import request_id
from .submissions import expired, wants_json

# In the page's language: a patient can meet any of these.
MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have access to this page."),
    404: _l("There is nothing here."),
    405: _l("That action is not allowed here."),
    413: _l("What you sent is too large."),
    429: _l("Too many tries. Please wait a little and try again."),
    500: _l("Something went wrong on our side. Please try again in a minute."),
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


def _as_nobody() -> None:
    """Render what follows as for nobody in particular (the crisis bar stays).

    After a failed statement the page's context would otherwise look up the phone and the
    clinician again, in a transaction that failed or a database that cannot be reached.
    """
    # The connection may be gone already; the session is removed at the end of the request.
    with contextlib.suppress(Exception):
        db.session.rollback()
    g.device = None
    g._login_user = current_app.login_manager.anonymous_user()


def _error_page(code: int, message: str, name: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """The error as JSON or as a page; a server error's carries the request's reference."""
    reference = request_id() if code >= 500 else None
    if wants_json():
        body: dict[str, Any] = {"error": name, "message": message}
        if reference:
            body["reference"] = reference
        return jsonify(body), code, headers or {}
    if reference is None:
        return render_template("error.html", code=code, message=message), code, headers or {}
    try:
        page = render_template("error.html", code=code, message=message, reference=reference)
    except Exception as error:
        # The error page itself failed: say so in the log, and answer in plain text rather
        # than let the server write its own log line, with the path, and its own page.
        current_app.logger.error(
            "the error page failed [request %s]\n%s", reference, describe(error)
        )
        page = Response(f"{message}\nError reference: {reference}\n", mimetype="text/plain")
    return page, code, headers or {}


def _unavailable(error: Exception):  # type: ignore[no-untyped-def]
    """503 for a database that cannot be reached, rendered without asking the database again."""
    first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
    log_server_error(503, what=f"database unavailable: {first_line}", level=logging.WARNING)
    _as_nobody()
    message = UNAVAILABLE_MESSAGES.get(request.endpoint or "", UNAVAILABLE_MESSAGE)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return _error_page(503, str(message), "unavailable", headers)


def _says_what_was_wrong(error: HTTPException) -> bool:
    """Whether the code that refused the request said why (`abort(400, "...")`)."""
    return bool(error.description) and error.description != type(error).description


def _log_exception(exc_info: Any) -> None:
    """Flask's log of an unhandled exception, without the path (tokens) and with the id."""
    log_server_error(500, exc_info[1])


def init_errors(app: Flask) -> None:
    app.log_exception = _log_exception  # type: ignore[method-assign]
    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, _unavailable)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        return expired()

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        code = error.code or 500
        message = str(MESSAGES.get(code, error.description or _("Something went wrong.")))
        if _says_what_was_wrong(error) and request.path.startswith("/clinic"):
            message = str(error.description)  # e.g. which filter was not a date (English)
        if isinstance(error, RateLimitExceeded) and error.limit.error_message:
            message = error.description  # the limit's own words: how long to wait
        if code >= 500:
            log_server_error(code, getattr(error, "original_exception", None))
            _as_nobody()
        return _error_page(code, message, error.name.lower().replace(" ", "_"))

    @app.after_request
    def log_other_server_errors(response: Response) -> Response:
        # A view that answers 5xx itself, without an exception: logged all the same.
        if response.status_code >= 500 and not already_logged():
            log_server_error(response.status_code)
        return response
