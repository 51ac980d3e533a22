"""What the server needs to accept a form that may have waited on the phone.

The check-in and the questionnaires (and whatever a patient fills in later) are sent by the
outbox (static/js/outbox.js), which keeps each submission on the phone until the server has it,
and sends it again after a lost answer or a 5xx. So each one:

* carries a CSRF token that lives for hours (`LongLivedTokenForm`), since it may be sent long
  after its page was loaded;
* carries an idempotency key, and is stored once whatever the retries (`store_once`);
* is answered in the one way the outbox understands (`stored`, `invalid`, `expired`): JSON for
  the outbox, a redirect or a page for a plain form post (no JavaScript, or no storage on the
  phone).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from flask import current_app, jsonify, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .fields import Form

T = TypeVar("T")

# A phone's clock can be off; a time in the future or months ago is not believed.
CLOCK_AHEAD = timedelta(minutes=10)
KEPT_AT_MOST = timedelta(days=30)
IDEMPOTENCY_KEY = r"^[A-Za-z0-9_-]{8,64}$"


class LongLivedTokenForm(Form):
    """A form whose CSRF token lasts AFTERCARE_CHECKIN_CSRF_HOURS, not a clinician's hour.

    Patient pages are kept on the phone: a form may be filled in offline and sent hours later.
    The token is still bound to this phone's session. Views that use one are `@csrf.exempt`,
    so that the app-wide check (with the short limit) does not refuse it first.
    """

    class Meta:
        @property
        def csrf_time_limit(self) -> int:
            return current_app.config["CHECKIN_CSRF_HOURS"] * 3600


def wants_json() -> bool:
    """Whether to answer this request in JSON rather than with a page.

    JSON when the client prefers it to HTML in its Accept header (the outbox and the push
    script send `Accept: application/json`), or when it sent a JSON body (only scripts do).
    Otherwise a page: a browser's form post asks for text/html first, and a request with no
    preference (no Accept header, or `*/*` alone) gets what the app serves, pages.
    """
    accepted = request.accept_mimetypes
    return accepted.quality("application/json") > accepted.quality("text/html") or request.is_json


def expired() -> ResponseReturnValue:
    """400: the form's token is too old or from another session; nothing was stored.

    The outbox recognises `"error": "csrf"`, fetches a fresh token and sends again.
    """
    message = _("This form has expired. Please reload the page and try again.")
    if wants_json():
        return jsonify(error="csrf", message=message), 400
    return render_template("error.html", code=400, message=message), 400


def invalid(form_again: Callable[[], str], **details: Any) -> ResponseReturnValue:
    """422: the answers cannot be stored as they are; nothing was stored.

    `details` (the errors) go into the JSON; a plain post gets the form again from
    `form_again()`, with the answers and what is wrong with them.
    """
    if wants_json():
        return jsonify(error="invalid", **details), 422
    return form_again(), 422


def stored(result_url: str, created: bool, **details: Any) -> ResponseReturnValue:
    """Stored now (201) or already stored under this key (200); a plain post goes to the result.

    The JSON carries `result_url`, `created` and `details` (the stored row's id...).
    """
    if wants_json():
        status = 201 if created else 200
        return jsonify(**details, result_url=result_url, created=created), status
    return redirect(result_url, code=303)


def believable_time(raw: str | None, now: datetime | None = None) -> datetime | None:
    """When the phone says the patient filled the form in, as UTC, if it is believable."""
    try:
        moment = datetime.fromisoformat(raw or "")
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    now = now or datetime.now(UTC)
    if moment > now + CLOCK_AHEAD or moment < now - KEPT_AT_MOST:
        return None
    return moment.astimezone(UTC)


def store_once(write: Callable[[], T], stored_under_key: Callable[[], T | None]) -> tuple[T, bool]:
    """Write and commit a new submission; if a twin with its key won the race, return the twin.

    Returns the submission and whether it is new. A phone may send the same queued submission
    twice at once (the page and the service worker both flushing, or a retry after a lost
    answer); the unique (patient, key) constraint lets only one in, at the insert or at the
    commit. A new submission, by far the most common, costs no query to look for a twin first.
    """
    try:
        new = write()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        stored_twin = stored_under_key()
        if stored_twin is None:
            raise
        return stored_twin, False
    return new, True
