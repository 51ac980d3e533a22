"""Patients' answers to their appointment reminders, on the clinic's side: the dashboard's list
of "I need another time" requests to act on, and marking one handled."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..appointment_replies import NEEDS_NEW_TIME, mark_handled
from ..care.reminder_rules import APPOINTMENT_KINDS
from ..extensions import db
from ..models import Appointment, Patient
from .access import current_clinic, get_for_clinic
from .blueprint import bp
from .forms import RevokeForm

# The dashboard shows this many, oldest request first; the patient pages show every answer.
LISTED = 50
# What the clinic reads for each answer (English only, as every clinician page).
REPLY_WORDS = {"confirmed": "Will be there", NEEDS_NEW_TIME: "Needs another time"}
CHANNEL_WORDS = {"notification": "notification", "email": "email", "app": "the app"}


def new_time_requests(clinic_id: int) -> list[Appointment]:
    """The clinic's "I need another time" answers nobody has handled, on appointments still
    booked, the longest waiting first."""
    return list(
        db.session.scalars(
            select(Appointment)
            .join(Appointment.patient)
            .options(contains_eager(Appointment.patient))
            .where(
                Appointment.clinic_id == clinic_id,
                Patient.clinic_id == clinic_id,
                Appointment.reply == NEEDS_NEW_TIME,
                Appointment.reply_handled_at.is_(None),
                Appointment.cancelled_at.is_(None),
            )
            .order_by(Appointment.replied_at, Appointment.id)
            .limit(LISTED)
        )
    )


@bp.context_processor
def reply_helpers() -> dict[str, Any]:
    """For the partials: read only by the pages that include them."""
    return {
        "new_time_requests": lambda: new_time_requests(current_clinic().id),
        "reply_words": REPLY_WORDS,
        "reply_channel_words": CHANNEL_WORDS,
        "kinds_of_appointments": APPOINTMENT_KINDS,
    }


@bp.post("/appointments/<int:appointment_id>/reply-handled")
@login_required
def appointment_reply_handled(appointment_id: int) -> ResponseReturnValue:
    """The clinic dealt with this "I need another time" (called back, moved it): audited."""
    appointment = get_for_clinic(Appointment, appointment_id)
    name = appointment.patient.display_name
    if not RevokeForm().validate_on_submit():
        flash("That form had expired. Please try again.")
    elif mark_handled(appointment, current_user.id):
        db.session.commit()
        flash(f"The request from {name} for another time is marked handled.")
    else:
        flash(f"The request from {name} for another time had already been handled.")
    return redirect(url_for("clinic.dashboard") + "#new-time-heading", code=303)
