"""Service worker, web app manifest, the offline page and versioned asset URLs."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.security import safe_join

from ..i18n import current_language
from ..paths import resource_dir
from .assets import ENCODINGS, MINIFIERS, compress, minify, prepared

bp = Blueprint("pwa", __name__)

# Files the service worker keeps from its first install, so that Today, the check-in (with its
# offline triage) and Help open with no network. Other static files (those of the questionnaires
# and the charts) are kept the first time a page uses them, which spares the first visit.
PRECACHE = (
    "css/app.css",
    "js/app.js",
    "js/outbox.js",
    "js/triage.js",
    "js/checkin.js",
    "js/push.js",
    "icons/icon-192.png",
)
ICONS = (
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/maskable-192.png", "192x192", "maskable"),
    ("icons/maskable-512.png", "512x512", "maskable"),
)


@cache
def _file_digest(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def asset_version(filename: str) -> str:
    """A short hash of a static file, so a changed file gets a new URL and caches stay right."""
    path = Path(current_app.static_folder or "") / filename
    try:
        return _file_digest(path, path.stat().st_mtime_ns)
    except OSError:
        return "0"


def asset(filename: str) -> str:
    """A static file's address with its version: `{{ asset("css/app.css") }}` on every page."""
    return url_for("static", filename=filename, v=asset_version(filename))


# A year, the longest a cache is asked to keep anything.
VERSIONED_MAX_AGE = 365 * 24 * 60 * 60


def cache_versioned_assets(response: Response) -> Response:
    """Let browsers keep a static file asked for by its current version without asking again.

    Its address changes with its content (see asset()), so the copy is never out of date. Any
    other address of a static file (no version, or an old one) is checked each time instead.
    """
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    if request.args.get("v") == asset_version(filename):
        response.cache_control.no_cache = None
        response.cache_control.max_age = VERSIONED_MAX_AGE
        response.cache_control.immutable = True
    return response


def send_static_code_small(response: Response) -> Response:
    """Send a static stylesheet or script minified and compressed (see assets.py)."""
    if (
        request.endpoint != "static"
        or response.status_code != 200
        or response.mimetype not in MINIFIERS
    ):
        return response
    filename = (request.view_args or {})["filename"]
    path = safe_join(current_app.static_folder or "", filename)
    if path is None:
        return response
    encoding = request.accept_encodings.best_match(ENCODINGS)
    body = prepared(Path(path), Path(path).stat().st_mtime_ns, response.mimetype, encoding)
    response.close()  # the open file that send_file would have streamed
    response.direct_passthrough = False
    response.set_data(body)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    # Byte ranges would be of the file as written, not as sent; the name is of no use here; the
    # ETag below is the validator, so Last-Modified would only add bytes to every response.
    for name in ("Accept-Ranges", "Content-Disposition", "Last-Modified"):
        response.headers.pop(name, None)
    # A validator of its own for each form of the file, as RFC 9110 asks: the file's digest
    # (as in its address) and the encoding.
    response.set_etag(f"{asset_version(filename)}-{encoding or 'identity'}")
    return response.make_conditional(request)


@bp.get("/sw.js")
def service_worker() -> ResponseReturnValue:
    source = (resource_dir("service_worker") / "sw.js").read_text()
    precache = [asset(name) for name in PRECACHE] + [
        url_for("pwa.offline"),
        url_for("pwa.manifest"),
    ]
    # The version changes whenever the worker or a precached file changes, which makes the
    # browser install the new worker and drop the old caches.
    version = hashlib.sha256((source + "".join(precache)).encode()).hexdigest()[:12]
    body = source.replace("__PRECACHE__", json.dumps(precache)).replace("__VERSION__", version)
    encoding = request.accept_encodings.best_match(ENCODINGS)
    response = Response(
        compress(minify(body, "text/javascript").encode(), encoding), mimetype="text/javascript"
    )
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> ResponseReturnValue:
    data = {
        "name": "Aftercare",
        "short_name": "Aftercare",
        "description": _("Your instructions and check-ins after a ketamine infusion."),
        "lang": current_language(),
        "id": "/",
        "start_url": "/today",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0b3d91",
        "icons": [
            {"src": asset(name), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for name, sizes, purpose in ICONS
        ],
    }
    response = Response(json.dumps(data), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def offline() -> ResponseReturnValue:
    return render_template("offline.html")
