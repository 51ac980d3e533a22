"""The clinic's patient list: searched, sorted and paged in the database.

Sorting uses columns kept on the patient (last check-in, last infusion) and the few open
alerts, so a page costs the same in a clinic of a hundred patients or ten thousand; the rest of
a row is looked up for the page's patients only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, select

from ..care.course import Position
from ..care.scoring import Change, change
from ..courses import positions
from ..extensions import db
from ..models import (
    Alert,
    Appointment,
    CheckIn,
    Clinic,
    Patient,
    QuestionnaireResponse,
    Reminder,
)
from ..questionnaires.thresholds import instruments_for_clinic
from ..reminders.states import ReminderState
from .reach import Reach, reach_of

PER_PAGE = 25
CHECK_IN_PROMPTS = ("checkin_evening", "checkin_morning")
ALERT_RANKS = {"emergency": 0, "crisis": 1, "call_clinic": 2}
ALERT_ORDER = case(ALERT_RANKS, value=Alert.level, else_=len(ALERT_RANKS))
SORTS = {
    "name": (Patient.display_name, Patient.id),
    "recent": (Patient.last_check_in_at.desc().nulls_last(), Patient.id),
    "infusion": (Patient.last_infusion_at.desc().nulls_last(), Patient.id),
    # Open alerts first (see _most_urgent_first), then as "recent".
    "triage": (Patient.last_check_in_at.desc().nulls_last(), Patient.id),
}


@dataclass(frozen=True)
class Trend:
    """A questionnaire's latest total against the patient's first (baseline) one."""

    instrument: str
    baseline: int
    latest: int
    change: Change | None  # None with a single answer so far


@dataclass(frozen=True)
class PatientRow:
    patient: Patient
    next_appointment: Appointment | None
    missed_check_ins: int
    reach: Reach
    trends: tuple[Trend, ...] = ()
    course: Position | None = None  # None: no course planned


@dataclass(frozen=True)
class PatientListing:
    """One page of the patient list, and where it stands in the whole list."""

    rows: list[PatientRow]
    total: int
    page: int
    pages: int
    sort: str
    query: str


def list_patients(
    clinic_id: int,
    now: datetime,
    query: str = "",
    sort: str = "triage",
    page: int = 1,
    only: Collection[int] | None = None,
    email_on: bool = False,
) -> PatientListing:
    """One page of the clinic's patients matching `query` (and among `only`, when given), in
    the chosen order."""
    sort = sort if sort in SORTS else "triage"
    query = query.strip()[:80]
    # What narrows the list beyond the clinic: the search, and the patients asked for.
    filters: list[ColumnElement[bool]] = []
    if only is not None:
        filters.append(Patient.id.in_(set(only)))
    if query:
        filters.append(Patient.display_name.ilike(f"%{query}%", escape="\\"))
    search = and_(*filters) if filters else None
    where = [Patient.clinic_id == clinic_id] + ([search] if search is not None else [])
    total = db.session.scalar(select(func.count(Patient.id)).where(*where)) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    offset = (page - 1) * PER_PAGE
    if sort == "triage":
        patients = _most_urgent_first(clinic_id, search, offset)
    else:
        patients = list(
            db.session.scalars(
                select(Patient).where(*where).order_by(*SORTS[sort]).offset(offset).limit(PER_PAGE)
            )
        )
    ids = [p.id for p in patients]
    nexts = _next_appointments(ids, now)
    missed = _missed_check_ins(ids, now)
    reaches = reach_of(ids, email_on)
    trends = _trends(clinic_id, ids)
    courses = positions(ids, db.session.get(Clinic, clinic_id).tz, now)
    rows = [
        PatientRow(
            p,
            nexts.get(p.id),
            missed.get(p.id, 0),
            reaches[p.id],
            trends.get(p.id, ()),
            courses.get(p.id),
        )
        for p in patients
    ]
    return PatientListing(rows, total, page, pages, sort, query)


def _open_alert_patients(clinic_id: int, search: ColumnElement[bool] | None) -> Select:
    """The ids of the patients with an alert nobody has acknowledged, the most urgent open level
    first, then the one whose oldest open alert has waited longest; and how many there are.

    Grouped from the open alerts alone, read from the covering index on (clinic_id,
    acknowledged_at, patient_id, level, created_at), so that the page's LIMIT applies before
    any patient is read. Going from each patient to their alerts read every alert the clinic
    ever had, twice: once to count, once for the page.
    """
    grouped = (
        select(Alert.patient_id, func.count().over().label("open_count"))
        .where(Alert.clinic_id == clinic_id, Alert.acknowledged_at.is_(None))
        .group_by(Alert.patient_id)
        .order_by(func.min(ALERT_ORDER), func.min(Alert.created_at), Alert.patient_id)
    )
    if search is not None:
        matching = select(Patient.id).where(Patient.clinic_id == clinic_id, search)
        grouped = grouped.where(Alert.patient_id.in_(matching))
    return grouped


def _most_urgent_first(
    clinic_id: int, search: ColumnElement[bool] | None, offset: int
) -> list[Patient]:
    """A page in the "triage" order (SORTS).

    What needs the care team now comes first: patients with an open alert, as _open_alert_patients
    orders them. An acknowledged alert has been dealt with, so it ranks nobody: everyone else
    follows by latest check-in, read from the index on (clinic_id, last_check_in_at).
    """
    urgent = _open_alert_patients(clinic_id, search)
    # The window count rides along with the page, so the open alerts are grouped once.
    page = db.session.execute(urgent.offset(offset).limit(PER_PAGE)).all()
    ids = [row.patient_id for row in page]
    loaded = db.session.scalars(select(Patient).where(Patient.id.in_(ids))) if ids else []
    by_id = {patient.id: patient for patient in loaded}
    patients = [by_id[patient_id] for patient_id in ids]
    if len(patients) == PER_PAGE:
        return patients
    if page:
        open_count = page[0].open_count
    else:  # a page past the patients with an open alert: count them on their own
        counted = urgent.order_by(None).subquery()
        open_count = db.session.scalar(select(func.count()).select_from(counted)) or 0
    where = [Patient.clinic_id == clinic_id] + ([search] if search is not None else [])
    has_open_alert = exists().where(Alert.patient_id == Patient.id, Alert.acknowledged_at.is_(None))
    patients += db.session.scalars(
        select(Patient)
        .where(*where, ~has_open_alert)
        .order_by(*SORTS["recent"])
        .offset(max(0, offset - open_count))
        .limit(PER_PAGE - len(patients))
    )
    return patients


def _next_appointments(ids: list[int], now: datetime) -> dict[int, Appointment]:
    if not ids:
        return {}
    upcoming = db.session.scalars(
        select(Appointment)
        .where(
            Appointment.patient_id.in_(ids),
            Appointment.cancelled_at.is_(None),
            Appointment.starts_at > now,
        )
        .order_by(Appointment.starts_at.desc())
    )
    # Descending, so the soonest is written last and wins.
    return {appointment.patient_id: appointment for appointment in upcoming}


def missed_condition(now: datetime):  # noqa: ANN201 (an SQL expression)
    """A check-in prompt whose window closed with no check-in from the patient in it."""
    answered = exists().where(
        CheckIn.patient_id == Reminder.patient_id,
        CheckIn.received_at >= Reminder.due_at,
        CheckIn.received_at < Reminder.expires_at,
    )
    return and_(
        Reminder.kind.in_(CHECK_IN_PROMPTS),
        Reminder.expires_at <= now,
        Reminder.state != ReminderState.CANCELLED,
        ~answered,
    )


def _missed_check_ins(ids: list[int], now: datetime) -> dict[int, int]:
    if not ids:
        return {}
    counts = db.session.execute(
        select(Reminder.patient_id, func.count(Reminder.id))
        .where(Reminder.patient_id.in_(ids), missed_condition(now))
        .group_by(Reminder.patient_id)
    )
    return {patient_id: count for patient_id, count in counts}


TREND_INSTRUMENTS = ("pcl5", "phq9")


def _trends(clinic_id: int, ids: list[int]) -> dict[int, tuple[Trend, ...]]:
    """PCL-5 and PHQ-9: first and latest totals, and whether the change counts (with the
    clinic's choice of thresholds)."""
    if not ids:
        return {}
    totals: dict[tuple[int, str], list[int]] = defaultdict(list)
    for patient_id, instrument_id, total in db.session.execute(
        select(
            QuestionnaireResponse.patient_id,
            QuestionnaireResponse.instrument_id,
            QuestionnaireResponse.total,
        )
        .where(
            QuestionnaireResponse.patient_id.in_(ids),
            QuestionnaireResponse.instrument_id.in_(TREND_INSTRUMENTS),
        )
        .order_by(QuestionnaireResponse.received_at)
    ):
        totals[(patient_id, instrument_id)].append(total)
    known = instruments_for_clinic(clinic_id)
    result: dict[int, list[Trend]] = defaultdict(list)
    for (patient_id, instrument_id), series in sorted(totals.items()):
        instrument = known[instrument_id]
        moved = change(instrument, series[0], series[-1]) if len(series) > 1 else None
        result[patient_id].append(Trend(instrument.short_title, series[0], series[-1], moved))
    return {patient_id: tuple(trends) for patient_id, trends in result.items()}
