"""Keeping reminder rows in step with appointments and infusions."""

from __future__ import annotations

from sqlalchemy import update

from ..care.content import clinic_content
from ..care.reminder_plans import (
    PlannedReminder,
    ReminderSettings,
    appointment_plan,
    infusion_prompts,
)
from ..extensions import db
from ..models import Appointment, Clinic, Infusion, Reminder, utcnow


def _settings(clinic: Clinic) -> tuple[ReminderSettings, dict[str, str]]:
    content = clinic_content(clinic.content)
    return ReminderSettings.from_content(content["reminders"]), content["notifications"]


def _add(planned: list[PlannedReminder], clinic_id: int, patient_id: int, **link: int) -> None:
    for plan in planned:
        db.session.add(
            Reminder(
                clinic_id=clinic_id,
                patient_id=patient_id,
                kind=plan.kind,
                title=plan.title,
                body=plan.body,
                url=plan.url,
                due_at=plan.due_at,
                expires_at=plan.expires_at,
                next_attempt_at=plan.due_at,
                state="pending",
                **link,
            )
        )


def cancel_pending(**link: int) -> int:
    """Stop the reminders of an appointment or infusion that have not been sent yet."""
    ((column, value),) = link.items()
    result = db.session.execute(
        update(Reminder)
        .where(getattr(Reminder, column) == value, Reminder.state == "pending")
        .values(state="cancelled", finished_at=utcnow())
    )
    return result.rowcount or 0


def plan_appointment(appointment: Appointment) -> None:
    """(Re)plan an appointment's reminders: unsent old ones are cancelled, new ones added."""
    cancel_pending(appointment_id=appointment.id)
    if appointment.is_cancelled:
        return
    clinic = db.session.get(Clinic, appointment.clinic_id)
    settings, words = _settings(clinic)
    planned = appointment_plan(
        appointment.kind, appointment.starts_at, clinic.tz, settings, words, utcnow()
    )
    _add(planned, clinic.id, appointment.patient_id, appointment_id=appointment.id)


def plan_infusion(infusion: Infusion, clinic: Clinic) -> None:
    """Check-in prompts after an infusion: that evening and the next morning."""
    cancel_pending(infusion_id=infusion.id)
    settings, words = _settings(clinic)
    planned = infusion_prompts(infusion.ended_at, clinic.tz, settings, words, utcnow())
    _add(planned, clinic.id, infusion.patient_id, infusion_id=infusion.id)
