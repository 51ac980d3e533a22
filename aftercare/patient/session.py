"""Which patient a request comes from: the enrolled device's cookie."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import current_app, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..enrollment import device_for_token
from ..extensions import db
from ..models import Device, Patient, utcnow
from ..submissions import wants_json

DEVICE_COOKIE = "aftercare_device"
# Pages a patient's phone sees, with the crisis bar and the clinic's numbers.
PATIENT_BLUEPRINTS = frozenset({"patient", "patient_reminders", "questionnaires", "companion"})
_SEEN_EVERY = timedelta(hours=1)


def load_device() -> Device | None:
    """The enrolled device behind this request, if any (kept on `g` for the request)."""
    if "device" not in g:
        device = device_for_token(request.cookies.get(DEVICE_COOKIE, ""))
        if device is not None:
            now = utcnow()
            # Noted at most hourly, so that reading pages does not mean a write each time.
            if device.last_seen_at is None or now - device.last_seen_at > _SEEN_EVERY:
                device.last_seen_at = now
                db.session.commit()
        g.device = device
    return g.device


def current_patient() -> Patient:
    device = load_device()
    assert device is not None, "use patient_required"
    return device.patient


def patient_required(view: Callable[..., ResponseReturnValue]) -> Callable[..., Any]:
    """Let the view run only for an enrolled, not revoked, device."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if load_device() is None:
            if wants_json():
                return jsonify(error="not_enrolled", message=_("This phone is not linked.")), 401
            return render_template("patient/not_enrolled.html"), 401
        return view(*args, **kwargs)

    return wrapped


def set_device_cookie(response: Response, token: str) -> None:
    """A long-lived, HttpOnly, SameSite cookie that keeps this phone signed in."""
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=int(timedelta(days=current_app.config["DEVICE_DAYS"]).total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=current_app.config["HTTPS"],
        path="/",
    )
