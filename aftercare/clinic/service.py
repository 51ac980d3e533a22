"""What a clinician changes in a patient's course: recording an infusion, and booking, changing
or cancelling an appointment.

Each is one function that makes the change, replans every reminder it touches (the
appointment's or infusion's own, and the questionnaire reminders, which follow the first
infusion and each booster), writes the audit row and commits. The views only parse the form,
call one of these, and say what happened.
"""

from __future__ import annotations

from datetime import datetime

from .. import audit
from ..appointment_replies import clear_reply
from ..extensions import db
from ..models import Appointment, Infusion, Patient, utcnow
from ..questionnaires.due import course_of
from ..reminders.rows import plan_appointment, plan_infusion, plan_questionnaires


def record_infusion(
    patient: Patient, started_at: datetime, ended_at: datetime, recorded_by_id: int | None
) -> Infusion:
    """Record an infusion that has ended: the patient's instructions count from its end, and it
    gets its check-in prompts."""
    infusion = Infusion(
        patient_id=patient.id,
        started_at=started_at,
        ended_at=ended_at,
        recorded_by_id=recorded_by_id,
    )
    db.session.add(infusion)
    patient.note_infusion(ended_at)
    db.session.flush()
    plan_infusion(infusion, patient.clinic)
    plan_questionnaires(patient, course_of(patient))
    audit.record(
        "infusion.create",
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        detail={"infusion_id": infusion.id},
    )
    db.session.commit()
    return infusion


def book_appointment(
    patient: Patient,
    *,
    kind: str,
    starts_at: datetime,
    duration_minutes: int,
    created_by_id: int | None,
) -> Appointment:
    """Book an appointment, with its reminders."""
    appointment = Appointment(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind=kind,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        created_by_id=created_by_id,
    )
    db.session.add(appointment)
    db.session.flush()
    _replan(appointment, "appointment.create")
    return appointment


def change_appointment(
    appointment: Appointment, *, kind: str, starts_at: datetime, duration_minutes: int
) -> None:
    """Move or change an appointment: its reminders follow the new time."""
    if starts_at != appointment.starts_at:
        clear_reply(appointment)  # the patient answered for the old time
    appointment.kind = kind
    appointment.starts_at = starts_at
    appointment.duration_minutes = duration_minutes
    appointment.updated_at = utcnow()
    _replan(appointment, "appointment.update")


def cancel_appointment(appointment: Appointment) -> bool:
    """Cancel an appointment and its reminders not sent yet; False if it was cancelled already."""
    if appointment.is_cancelled:
        return False
    appointment.cancelled_at = utcnow()
    _replan(appointment, "appointment.cancel")
    return True


def _replan(appointment: Appointment, action: str) -> None:
    """Replan the appointment's reminders and the patient's questionnaire reminders (a booster
    brings its own questionnaires), audit the change, and commit."""
    plan_appointment(appointment)  # a cancelled appointment's unsent reminders are cancelled
    plan_questionnaires(appointment.patient, course_of(appointment.patient))
    audit.record(
        action,
        clinic_id=appointment.clinic_id,
        patient_id=appointment.patient_id,
        detail={"appointment_id": appointment.id},
    )
    db.session.commit()
