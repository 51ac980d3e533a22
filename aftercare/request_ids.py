"""A reference for every request: in the log, in the X-Request-ID header, on error pages.

Staff read it out from an error page ("Error reference: 7KQ2-M9XD-4RTB-W1HC") and whoever runs
the server finds the one log line with the same reference.

It is made here, not taken from the request: anyone can send an X-Request-ID header, and one
chosen by an outsider could be made to match another request's. Only behind a reverse proxy
whose headers are trusted (AFTERCARE_PROXY_COUNT) is the proxy's own id kept, so that the
proxy's log and the app's share it; the proxy must then set the header itself (nginx:
`proxy_set_header X-Request-ID $request_id;`), and a value of any other shape is replaced.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from flask import has_request_context, request

# The WSGI environ key that holds the id; code that outlives the request context (a streamed
# export) keeps the environ and reads it there.
ENVIRON_KEY = "aftercare.request_id"
HEADER = "X-Request-ID"
# Crockford's base32: no I, L, O or U, so that nothing is misread when it is read out.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_GROUPS, _GROUP_LENGTH = 4, 4
# What a proxy's id may look like: nginx's 32 hex digits, a UUID, or ours.
_PROXY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")


def new_request_id() -> str:
    """Sixteen characters (80 random bits) in groups of four."""
    groups = (
        "".join(secrets.choice(_ALPHABET) for _ in range(_GROUP_LENGTH)) for _ in range(_GROUPS)
    )
    return "-".join(groups)


def request_id() -> str:
    """This request's id, or "-" outside a request."""
    if not has_request_context():
        return "-"
    return request.environ.get(ENVIRON_KEY, "-")


StartResponse = Callable[..., Any]


class RequestIds:
    """WSGI middleware: the id is set before the app sees the request, and sent back with it."""

    def __init__(self, app: Callable[[dict, StartResponse], Iterable[bytes]], trust_proxy: bool):
        self.app = app
        self.trust_proxy = trust_proxy

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        given = environ.get("HTTP_X_REQUEST_ID", "") if self.trust_proxy else ""
        environ[ENVIRON_KEY] = given if _PROXY_ID.fullmatch(given) else new_request_id()

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [(name, value) for name, value in headers if name.lower() != "x-request-id"]
            headers.append((HEADER, environ[ENVIRON_KEY]))
            return start_response(status, headers, exc_info)

        return self.app(environ, start)
