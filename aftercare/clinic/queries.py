"""What the clinician's pages show, read from the database: the dashboard's open alerts and
one patient's record. Data in, data out; the views render it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..care.questionnaire_calendar import Occurrence
from ..care.triage import Level
from ..extensions import db
from ..models import (
    Alert,
    Appointment,
    CheckIn,
    Patient,
    PushSubscription,
    QuestionnaireResponse,
    Reminder,
)
from ..questionnaires.due import missed_for
from ..questionnaires.service import history

# Alerts that stand out on the dashboard when nobody has acknowledged them in time.
URGENT_LEVELS = (Level.EMERGENCY.value, Level.CRISIS.value)
# The dashboard's order of open alerts: these levels first, in this order, then any other.
DASHBOARD_ORDER = (Level.EMERGENCY.value, Level.CRISIS.value, Level.CALL_CLINIC.value)
OPEN_ALERTS_SHOWN = 50
REMINDERS_SHOWN = 50


@dataclass(frozen=True)
class OpenAlerts:
    """The dashboard's open alerts, most urgent first, and how long each has waited."""

    alerts: list[Alert]
    waiting: dict[int, int]  # minutes since each alert was raised, by alert id
    overdue: set[int]  # urgent alerts left waiting longer than the clinic allows


def open_alerts(clinic_id: int, now: datetime, overdue_after: timedelta) -> OpenAlerts:
    """The clinic's unacknowledged alerts: by level (emergency, crisis, call the clinic, other),
    the longest waiting first within each, at most OPEN_ALERTS_SHOWN."""
    # The patient who has waited longest is called back first: a crisis raised hours ago must
    # not sit below two that came in a minute ago. One level at a time, each read oldest first
    # from the index on (clinic_id, acknowledged_at, level, created_at): ordering by level in
    # SQL would sort every open alert.
    alerts: list[Alert] = []
    for level in (*DASHBOARD_ORDER, None):
        if len(alerts) == OPEN_ALERTS_SHOWN:
            break
        same_level = Alert.level == level if level else Alert.level.not_in(DASHBOARD_ORDER)
        alerts += db.session.scalars(
            select(Alert)
            .where(Alert.clinic_id == clinic_id, Alert.acknowledged_at.is_(None), same_level)
            .options(joinedload(Alert.patient))
            .order_by(Alert.created_at, Alert.id)
            .limit(OPEN_ALERTS_SHOWN - len(alerts))
        )
    return OpenAlerts(
        alerts=alerts,
        waiting={a.id: int((now - a.created_at).total_seconds() // 60) for a in alerts},
        overdue={
            a.id for a in alerts if a.level in URGENT_LEVELS and now - a.created_at > overdue_after
        },
    )


@dataclass(frozen=True)
class PatientRecord:
    """Everything the patient page shows about one patient, newest first unless noted."""

    check_ins: list[CheckIn]
    alerts: list[Alert]
    appointments: list[Appointment]
    reminders: list[Reminder]  # the latest REMINDERS_SHOWN by due time, with their deliveries
    subscriptions: list[PushSubscription]
    responses: list[QuestionnaireResponse]  # oldest first
    missed_questionnaires: list[Occurrence]


def patient_record(patient: Patient) -> PatientRecord:
    """Read the patient's check-ins, alerts, appointments, reminders, subscriptions and
    questionnaires."""
    check_ins = db.session.scalars(
        select(CheckIn).where(CheckIn.patient_id == patient.id).order_by(CheckIn.received_at.desc())
    ).all()
    alerts = db.session.scalars(
        select(Alert).where(Alert.patient_id == patient.id).order_by(Alert.created_at.desc())
    ).all()
    appointments = db.session.scalars(
        select(Appointment)
        .where(Appointment.patient_id == patient.id)
        .order_by(Appointment.starts_at.desc())
    ).all()
    reminders = db.session.scalars(
        select(Reminder)
        .where(Reminder.patient_id == patient.id)
        .options(selectinload(Reminder.deliveries))
        .order_by(Reminder.due_at.desc())
        .limit(REMINDERS_SHOWN)
    ).all()
    subscriptions = db.session.scalars(
        select(PushSubscription).where(PushSubscription.patient_id == patient.id)
    ).all()
    return PatientRecord(
        check_ins=list(check_ins),
        alerts=list(alerts),
        appointments=list(appointments),
        reminders=list(reminders),
        subscriptions=list(subscriptions),
        responses=history(patient),
        missed_questionnaires=missed_for(patient),
    )
