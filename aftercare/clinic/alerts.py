"""Acknowledging an alert, from the dashboard or the patient's page.

An emergency or a crisis is acknowledged with a note of what was done (called the patient, sent
them to the ER...): the next person to open the record must be able to read it. Other alerts
keep a one-click acknowledgement, the note optional.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from .. import audit
from ..extensions import db
from ..models import Alert, utcnow
from .access import get_for_clinic
from .blueprint import bp
from .forms import AcknowledgeForm
from .labels import ALERT_WORDS
from .queries import URGENT_LEVELS

NOTE_NEEDED = "Write what was done (for example: called the patient, sent them to the ER)."


def needs_note(alert: Alert) -> bool:
    """Whether acknowledging this alert needs a note of what was done."""
    return alert.level in URGENT_LEVELS


@bp.post("/alerts/<int:alert_id>/acknowledge")
@login_required
def alert_acknowledge(alert_id: int) -> ResponseReturnValue:
    alert = get_for_clinic(Alert, alert_id)
    form = AcknowledgeForm()
    back = "patient" if request.form.get("back") == "patient" else "dashboard"
    what = f"{ALERT_WORDS.get(alert.level, 'The')} alert for {alert.patient.display_name}"
    if alert.acknowledged_at is not None:
        flash(f"{what} had already been acknowledged.")
    else:
        valid = form.validate_on_submit()
        note = (form.note.data or "").strip()
        if valid and not note and needs_note(alert):
            form.note.errors = [NOTE_NEEDED]
        if form.errors:
            # Shown again on a page of its own, with what was typed and why it was refused.
            page = render_template("clinic/acknowledge.html", alert=alert, form=form, back=back)
            return page, 422
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by_id = current_user.id
        alert.acknowledgement_note = note
        audit.record(
            "alert.acknowledge",
            clinic_id=alert.clinic_id,
            patient_id=alert.patient_id,
            detail={"alert_id": alert.id},
        )
        db.session.commit()
        flash(f"{what} acknowledged." + (f" Note: {note}" if note else ""))
    # Back to where the button was; no address from the request, so no open redirect.
    if back == "patient":
        return redirect(url_for("clinic.patient_detail", patient_id=alert.patient_id), code=303)
    return redirect(url_for("clinic.dashboard"), code=303)
