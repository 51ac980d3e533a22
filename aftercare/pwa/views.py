"""Service worker, web app manifest, the offline page and versioned asset URLs."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..i18n import current_language
from ..paths import resource_dir

bp = Blueprint("pwa", __name__)

# Files the service worker keeps from its first install, so the app opens with no network.
PRECACHE = (
    "css/app.css",
    "js/app.js",
    "js/outbox.js",
    "js/triage.js",
    "js/checkin.js",
    "js/push.js",
    "js/questionnaire.js",
    "css/charts.css",
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


@bp.app_template_global("asset")
def asset(filename: str) -> str:
    return url_for("static", filename=filename, v=asset_version(filename))


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
    response = Response(body, mimetype="text/javascript")
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
