"""Each server error logged once: the route, the request id and the exception, nothing personal.

The line names the view (`patient.today`), never the path, whose enrollment, companion or
invitation token would let a reader of the log use the link, and never the query string, the
form, headers or cookies. Exception messages can quote what a person sent (int() quotes the
text it could not read; PostgreSQL's DETAIL quotes the duplicate value), so quoted values,
email addresses and token-like words in them are masked. The traceback's frames are kept:
they hold the app's own source lines, which is what finding the fault needs.
"""

from __future__ import annotations

import logging
import re
import traceback

from flask import current_app, has_request_context, request

from .request_ids import request_id

LOGGED = "aftercare.error_logged"
# Masked in exception messages, in this order.
_MASKS = (
    (re.compile(r"'[^']*'|\"[^\"]*\""), "'…'"),  # quoted values: int("..."), KeyError('...')
    (re.compile(r"=\([^)]*\)"), "=(…)"),  # PostgreSQL's "Key (email)=(...)"
    (re.compile(r"[^\s@'\"(]+@[^\s@'\")]+"), "…@…"),  # email addresses
    # Words mixing letters and digits, 20 characters or more: tokens, keys, hashes.
    (re.compile(r"\b(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{20,}"), "…"),
)
MESSAGE_LIMIT = 1000
CHAIN_LIMIT = 5


def masked(message: str) -> str:
    """An exception message with the values it quotes masked, and cut to a readable length."""
    for pattern, mask in _MASKS:
        message = pattern.sub(mask, message)
    return message if len(message) <= MESSAGE_LIMIT else message[:MESSAGE_LIMIT] + "…"


def describe(error: BaseException) -> str:
    """The exception with its causes, as Python prints them, with masked messages."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < CHAIN_LIMIT:
        chain.append(current)
        if current.__cause__ is not None or current.__suppress_context__:
            current = current.__cause__
        else:
            current = current.__context__
    parts = []
    for exception in reversed(chain):
        frames = "".join(traceback.format_tb(exception.__traceback__))
        parts.append(
            f"Traceback (most recent call last):\n{frames}"
            f"{_name(type(exception))}: {masked(str(exception))}"
        )
    return "\n\nwhich led to:\n\n".join(parts)


def _name(kind: type) -> str:
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def route() -> str:
    """The request's method and view, e.g. "POST patient.check_in_submit" (never its path)."""
    if not has_request_context():
        return "-"
    return f"{request.method} {request.endpoint or '(no route)'}"


def already_logged() -> bool:
    return has_request_context() and bool(request.environ.get(LOGGED))


def log_server_error(
    status: int,
    error: BaseException | None = None,
    *,
    what: str = "",
    level: int = logging.ERROR,
) -> None:
    """Log a 5xx answer once for this request (a second call for the same request is ignored)."""
    if already_logged():
        return
    if has_request_context():
        request.environ[LOGGED] = True
    headline = f"{status} {route()} [request {request_id()}]"
    if what:
        headline += f": {what}"
    if error is not None:
        headline += "\n" + describe(error)
    current_app.logger.log(level, "%s", headline)
