"""Logs without secrets: tokens in paths are masked, query strings and headers left out.

Enrollment, companion and invitation links carry their token in the path. A web server's access
log would keep them, and anyone who can read the log could use a link that is still valid.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from gunicorn.glogging import Logger

# The routes whose last path segment is a secret token.
_TOKEN_PATH = re.compile(r"^(/enroll/|/c/|/clinic/invite/)[^/?#\s]+")
MASK = "[token]"


def redact_path(path: str) -> str:
    """The path with any token masked, and without its query string."""
    path = path.split("?", 1)[0]
    return _TOKEN_PATH.sub(lambda match: match.group(1) + MASK, path)


class GunicornLogger(Logger):
    """gunicorn's logger, with every request atom that could hold a token or patient data made
    safe: the request line and path are redacted, the query string, referrer and all headers
    and environ values (cookies among them) are left out."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("RAW_URI") or environ.get("PATH_INFO") or "")
        safe = {
            key: value
            for key, value in atoms.items()
            if not (key.startswith("{") and key.endswith(("}i", "}o", "}e")))
        }
        safe.update(
            r=f"{environ.get('REQUEST_METHOD')} {path} {environ.get('SERVER_PROTOCOL')}",
            U=redact_path(environ.get("PATH_INFO") or ""),
            q="",
            f="-",
        )
        return safe


def log_to_stderr(level: int = logging.INFO) -> None:
    """The app's own log lines, one per event, on standard error (the journal, under systemd).

    For `aftercare scheduler`, whose line per pass is at INFO. APScheduler's own lines about
    each run are left out: the pass line says what the run did.
    """
    from flask.logging import default_handler

    logger = logging.getLogger("aftercare")
    logger.removeHandler(default_handler)  # Flask's, which names modules rather than events
    if not any(getattr(handler, "aftercare", False) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        handler.aftercare = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
