"""Keeping reminder rows in step with appointments, infusions and questionnaire courses.

The only code that writes reminder rows, apart from the sender settling what it sent. Which
reminders each thing gets is decided in care/reminder_rules.py; this writes what it decides.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from ..care.content import clinic_content
from ..care.questionnaire_calendar import EARLY_GRACE, Course
from ..care.reminder_rules import (
    QUESTIONNAIRE_KIND,
    PlannedReminder,
    ReminderSettings,
    appointment_plan,
    infusion_prompts,
    questionnaire_prompts,
)
from ..extensions import db
from ..i18n import translator
from ..models import Appointment, Clinic, Infusion, Patient, Reminder, utcnow
from .states import ReminderState


class Wording:
    """What a patient's reminders say, in their language, with their clinic's words."""

    def __init__(self, clinic: Clinic, patient: Patient) -> None:
        self.language = patient.notification_language
        self.translate = translator(self.language)
        content = clinic_content(clinic.content, self.language, self.translate)
        self.settings = ReminderSettings.from_content(content["reminders"])
        self.words: dict[str, str] = content["notifications"]

    def appointment(
        self, appointment: Appointment, clinic: Clinic, now: datetime
    ) -> list[PlannedReminder]:
        return appointment_plan(
            appointment.kind,
            appointment.starts_at,
            clinic.tz,
            self.settings,
            self.words,
            now,
            self.language,
            self.translate,
        )

    def infusion(self, infusion: Infusion, clinic: Clinic, now: datetime) -> list[PlannedReminder]:
        return infusion_prompts(infusion.ended_at, clinic.tz, self.settings, self.words, now)


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
                state=ReminderState.PENDING,
                **link,
            )
        )


def cancel_pending(**link: int) -> int:
    """Stop the reminders of an appointment or infusion that have not been sent yet."""
    ((column, value),) = link.items()
    result = db.session.execute(
        update(Reminder)
        .where(getattr(Reminder, column) == value, Reminder.state == ReminderState.PENDING)
        .values(state=ReminderState.CANCELLED, finished_at=utcnow())
    )
    return result.rowcount or 0


def plan_appointment(appointment: Appointment) -> None:
    """(Re)plan an appointment's reminders: unsent old ones are cancelled, new ones added."""
    cancel_pending(appointment_id=appointment.id)
    if appointment.is_cancelled:
        return
    clinic = db.session.get(Clinic, appointment.clinic_id)
    wording = Wording(clinic, db.session.get(Patient, appointment.patient_id))
    planned = wording.appointment(appointment, clinic, utcnow())
    _add(planned, clinic.id, appointment.patient_id, appointment_id=appointment.id)


def plan_infusion(infusion: Infusion, clinic: Clinic) -> None:
    """Check-in prompts after an infusion: that evening and the next morning."""
    cancel_pending(infusion_id=infusion.id)
    wording = Wording(clinic, db.session.get(Patient, infusion.patient_id))
    planned = wording.infusion(infusion, clinic, utcnow())
    _add(planned, clinic.id, infusion.patient_id, infusion_id=infusion.id)


def plan_questionnaires(patient: Patient, course: Course, now: datetime | None = None) -> int:
    """(Re)plan the patient's questionnaire reminders from their course: unsent ones are
    cancelled, one is added per occurrence ahead. How many were added."""
    now = now or utcnow()
    db.session.execute(
        update(Reminder)
        .where(
            Reminder.patient_id == patient.id,
            Reminder.kind.startswith(QUESTIONNAIRE_KIND),
            Reminder.state == ReminderState.PENDING,
        )
        .values(state=ReminderState.CANCELLED, finished_at=now)
    )
    planned = questionnaire_prompts(course, Wording(patient.clinic, patient).words, now)
    _add(planned, patient.clinic_id, patient.id)
    return len(planned)


def cancel_answered(patient: Patient, instrument_id: str, at: datetime) -> None:
    """An answer given early makes its own reminder pointless: it is not sent."""
    db.session.execute(
        update(Reminder)
        .where(
            Reminder.patient_id == patient.id,
            Reminder.kind == f"{QUESTIONNAIRE_KIND}{instrument_id}",
            Reminder.state == ReminderState.PENDING,
            Reminder.due_at <= at + EARLY_GRACE,
            Reminder.expires_at > at,
        )
        .values(state=ReminderState.CANCELLED, finished_at=at)
    )


def reword_pending(patient: Patient) -> int:
    """Put the patient's unsent reminders in their (new) language; times stay as planned."""
    pending = db.session.scalars(
        select(Reminder).where(
            Reminder.patient_id == patient.id, Reminder.state == ReminderState.PENDING
        )
    ).all()
    if not pending:
        return 0
    clinic = patient.clinic
    wording = Wording(clinic, patient)
    # Every reminder the plan would make, whenever due, so that each pending one finds its own.
    ever = datetime.min.replace(tzinfo=UTC)
    plans: dict[tuple[str, int | None, int | None], tuple[str, str]] = {}
    for reminder in pending:
        if reminder.appointment_id and (reminder.kind, reminder.appointment_id, None) not in plans:
            appointment = db.session.get(Appointment, reminder.appointment_id)
            for plan in wording.appointment(appointment, clinic, ever):
                plans[plan.kind, appointment.id, None] = (plan.title, plan.body)
        elif reminder.infusion_id and (reminder.kind, None, reminder.infusion_id) not in plans:
            infusion = db.session.get(Infusion, reminder.infusion_id)
            for plan in wording.infusion(infusion, clinic, ever):
                plans[plan.kind, None, infusion.id] = (plan.title, plan.body)
    questionnaire = (
        wording.words["questionnaire_title"],
        wording.words["questionnaire_body"],
    )
    changed = 0
    for reminder in pending:
        if reminder.kind.startswith(QUESTIONNAIRE_KIND):
            words = questionnaire
        else:
            words = plans.get((reminder.kind, reminder.appointment_id, reminder.infusion_id))
        if words and (reminder.title, reminder.body) != words:
            reminder.title, reminder.body = words
            changed += 1
    return changed
