"""Acknowledging an alert, from the dashboard or the patient's page."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from .. import audit
from ..extensions import db
from ..models import Alert, utcnow
from .access import get_for_clinic
from .blueprint import bp
from .forms import AcknowledgeForm


@bp.post("/alerts/<int:alert_id>/acknowledge")
@login_required
def alert_acknowledge(alert_id: int) -> ResponseReturnValue:
    alert = get_for_clinic(Alert, alert_id)
    form = AcknowledgeForm()
    if form.validate_on_submit() and alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by_id = current_user.id
        alert.acknowledgement_note = (form.note.data or "").strip()
        audit.record(
            "alert.acknowledge",
            clinic_id=alert.clinic_id,
            patient_id=alert.patient_id,
            detail={"alert_id": alert.id},
        )
        db.session.commit()
    # Back to where the button was; no address from the request, so no open redirect.
    if request.form.get("back") == "patient":
        return redirect(url_for("clinic.patient_detail", patient_id=alert.patient_id), code=303)
    return redirect(url_for("clinic.dashboard"), code=303)
