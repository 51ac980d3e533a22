"""The audit trail: one call per view or change of patient data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import insert

from .extensions import db
from .models import AuditEvent, utcnow


def _actor() -> str:
    if not has_request_context():
        return "system"
    if current_user and current_user.is_authenticated:
        return f"clinician:{current_user.id}"
    device = g.get("device")
    if device is not None:
        return f"device:{device.id}"
    return "anonymous"


def _ip() -> str:
    return (request.remote_addr or "") if has_request_context() else ""


def record(
    action: str,
    *,
    clinic_id: int | None = None,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session; it is saved with the change it describes."""
    event = AuditEvent(
        actor=_actor(),
        action=action,
        clinic_id=clinic_id,
        patient_id=patient_id,
        ip=_ip(),
        detail=detail or {},
    )
    db.session.add(event)
    return event


def event_values(
    action: str,
    *,
    clinic_id: int | None = None,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of an audit event by whoever makes this request, for writing it later.

    For work that outlives the request (a streamed download ends after the view has returned):
    who and from where are read now, while the request is there to say.
    """
    return {
        "at": utcnow(),
        "actor": _actor(),
        "action": action,
        "clinic_id": clinic_id,
        "patient_id": patient_id,
        "ip": _ip(),
        "detail": detail or {},
    }


def record_each(
    action: str, *, clinic_id: int, events: Iterable[tuple[int, dict[str, Any]]]
) -> None:
    """Audit events, one per (patient id, detail), written now in one statement of the
    session's transaction.

    For pages that show many patients at once (the dashboard's alerts): the same rows as
    `record()` once each, without an ORM object each.
    """
    actor, ip, at = _actor(), _ip(), utcnow()
    rows = [
        {
            "at": at,
            "actor": actor,
            "action": action,
            "clinic_id": clinic_id,
            "patient_id": patient_id,
            "ip": ip,
            "detail": detail,
        }
        for patient_id, detail in events
    ]
    if rows:
        db.session.execute(insert(AuditEvent), rows)
