"""What a clinician changes in a patient's course: recording an infusion; booking, changing
or cancelling an appointment; planning the treatment course; deciding on a booster.

Each is one function that makes the change, replans every reminder it touches (the
appointment's or infusion's own, and the questionnaire reminders, which follow the first
infusion and each booster), writes the audit row and commits. The views only parse the form,
call one of these, and say what happened.
"""

from __future__ import annotations

from datetime import datetime

from .. import audit
from ..appointment_replies import clear_reply
from ..care.course import CoursePlan, Decision, Maintenance
from ..courses import course_of_patient
from ..extensions import db
from ..models import Appointment, BoosterReview, Infusion, Patient, TreatmentCourse, utcnow
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


def plan_course(
    patient: Patient,
    plan: CoursePlan,
    planned_by_id: int | None,
) -> TreatmentCourse:
    """Plan (or replan) the patient's treatment course; the questionnaire reminders follow it
    (a baseline before the first infusion, one at the end of the series, then maintenance)."""
    course = course_of_patient(patient)
    action = "course.update"
    if course is None:
        course = TreatmentCourse(clinic_id=patient.clinic_id, patient_id=patient.id)
        db.session.add(course)
        action = "course.plan"
    course.series_count = plan.series_count
    course.target_dates = [day.isoformat() for day in plan.target_dates]
    course.maintenance = plan.maintenance.value
    course.booster_every_weeks = (
        plan.booster_every_weeks if plan.maintenance is Maintenance.EVERY_WEEKS else None
    )
    course.planned_by_id = planned_by_id
    course.updated_at = utcnow()
    db.session.flush()
    plan_questionnaires(patient, course_of(patient))
    audit.record(
        action,
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        detail={
            "series_count": course.series_count,
            "first_day": course.target_dates[0],
            "maintenance": course.maintenance,
            "booster_every_weeks": course.booster_every_weeks,
        },
    )
    db.session.commit()
    return course


def decide_booster_review(
    review: BoosterReview,
    decision: Decision,
    note: str,
    decided_by_id: int | None,
    booster_at: datetime | None = None,
) -> bool:
    """Record the clinician's decision on a review; with "booster booked", book the booster
    (its reminders and questionnaires planned) in the same step. False if already decided."""
    if review.decided_at is not None:
        return False
    review.decision = decision.value
    review.decision_note = note
    review.decided_at = utcnow()
    review.decided_by_id = decided_by_id
    if decision is Decision.BOOSTER_BOOKED:
        if booster_at is None:
            raise ValueError("A booked booster needs its date and time.")
        appointment = Appointment(
            clinic_id=review.clinic_id,
            patient_id=review.patient_id,
            kind="booster",
            starts_at=booster_at,
            created_by_id=decided_by_id,
        )
        db.session.add(appointment)
        db.session.flush()
        review.appointment_id = appointment.id
        plan_appointment(appointment)
        plan_questionnaires(review.patient, course_of(review.patient))
        audit.record(
            "appointment.create",
            clinic_id=review.clinic_id,
            patient_id=review.patient_id,
            detail={"appointment_id": appointment.id},
        )
    audit.record(
        "booster_review.decide",
        clinic_id=review.clinic_id,
        patient_id=review.patient_id,
        detail={
            "review_id": review.id,
            "decision": decision.value,
            "appointment_id": review.appointment_id,
        },
    )
    db.session.commit()
    return True
