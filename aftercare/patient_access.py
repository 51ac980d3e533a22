"""Which patient a request comes from (the linked phone's cookie), and what they may open.

Every page a patient's phone opens uses this: the patient's own pages (patient/), the
questionnaires, the companion link's page. Reading who is asking writes nothing
(`current_device`); noting that the phone was seen is its own step (`note_seen`), taken once at
the start of each request from a phone (patient/hooks.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from .enrollment import device_for_token
from .extensions import db
from .models import (
    Appointment,
    CheckIn,
    CompanionLink,
    Device,
    Patient,
    QuestionnaireResponse,
    utcnow,
)
from .submissions import wants_json

DEVICE_COOKIE = "aftercare_device"
# Pages a patient's phone sees, with the crisis bar and the clinic's numbers.
PATIENT_BLUEPRINTS = frozenset(
    {
        "patient",
        "patient_reminders",
        "patient_email",
        "patient_replies",
        "questionnaires",
        "companion",
        "learn",
        "journal",
    }
)
_SEEN_EVERY = timedelta(hours=1)

# What a patient owns and opens by id: each has the patient's id on it.
Owned = TypeVar("Owned", Appointment, CheckIn, CompanionLink, QuestionnaireResponse)


def current_device() -> Device | None:
    """The linked, not unlinked, device behind this request, if any (read once per request)."""
    if "device" not in g:
        g.device = device_for_token(request.cookies.get(DEVICE_COOKIE, ""))
    return g.device


def note_seen(device: Device) -> None:
    """Note when the phone was last seen, and commit; at most hourly, so reading pages does not
    mean a write each time. The clinician sees it beside each linked phone."""
    now = utcnow()
    if device.last_seen_at is None or now - device.last_seen_at > _SEEN_EVERY:
        device.last_seen_at = now
        db.session.commit()


def current_patient() -> Patient:
    device = current_device()
    assert device is not None, "use patient_required"
    return device.patient


def get_for_patient(model: type[Owned], object_id: int, **columns: Any) -> Owned:
    """The current patient's `model` with this id, or a 404.

    Another patient's object answers exactly as one that does not exist: the patient's condition
    is part of the query. `columns` narrows it further, e.g. `cancelled_at=None`.
    """
    query = select(model).where(
        model.id == object_id,
        model.patient_id == current_patient().id,
        *(getattr(model, name) == value for name, value in columns.items()),
    )
    return db.first_or_404(query)


def patient_required(view: Callable[..., ResponseReturnValue]) -> Callable[..., Any]:
    """Let the view run only for an enrolled, not revoked, device."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if current_device() is None:
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
