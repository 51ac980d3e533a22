"""The audit trail: one call per view or change of patient data."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditEvent


def _actor() -> str:
    if not has_request_context():
        return "system"
    if current_user and current_user.is_authenticated:
        return f"clinician:{current_user.id}"
    device = g.get("device")
    if device is not None:
        return f"device:{device.id}"
    return "anonymous"


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
        ip=(request.remote_addr or "") if has_request_context() else "",
        detail=detail or {},
    )
    db.session.add(event)
    return event
