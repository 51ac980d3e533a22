"""A patient's course as one timeline: infusions, check-ins, alerts, appointments, reminders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..care.reminder_rules import APPOINTMENT_KINDS
from ..models import Alert, Appointment, CheckIn, Infusion, QuestionnaireResponse, Reminder
from .labels import LEVEL_WORDS, REMINDER_WORDS


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # infusion, check-in, alert, acknowledged, appointment, reminder
    text: str
    level: str = ""


def timeline(
    infusions: Sequence[Infusion],
    check_ins: Sequence[CheckIn],
    alerts: Sequence[Alert],
    appointments: Sequence[Appointment],
    reminders: Sequence[Reminder],
    responses: Sequence[QuestionnaireResponse] = (),
    limit: int = 200,
) -> list[Entry]:
    """Everything that happened (or is planned), newest first."""
    entries = [Entry(i.ended_at, "infusion", "Infusion ended") for i in infusions]
    for c in check_ins:
        reported = sum(1 for value in c.severities.values() if value)
        text = f"Check-in: {LEVEL_WORDS.get(c.triage_level, c.triage_level)}"
        text += f", {reported} side effect{'s' if reported != 1 else ''} reported"
        entries.append(Entry(c.received_at, "check-in", text, c.triage_level))
    for a in alerts:
        entries.append(
            Entry(a.created_at, "alert", f"Alert: {LEVEL_WORDS.get(a.level, a.level)}", a.level)
        )
        if a.acknowledged_at:
            note = f": {a.acknowledgement_note}" if a.acknowledgement_note else ""
            entries.append(Entry(a.acknowledged_at, "acknowledged", f"Alert acknowledged{note}"))
    for ap in appointments:
        status = " (cancelled)" if ap.cancelled_at else ""
        entries.append(Entry(ap.starts_at, "appointment", f"{APPOINTMENT_KINDS[ap.kind]}{status}"))
    for r in reminders:
        attempts = f", {len(r.deliveries)} attempt{'s' if len(r.deliveries) != 1 else ''}"
        text = f"Reminder “{r.title}”: {REMINDER_WORDS.get(r.state, r.state)}"
        entries.append(Entry(r.due_at, "reminder", text + (attempts if r.deliveries else "")))
    for q in responses:
        band = f" ({q.band})" if q.band else ""
        text = f"Questionnaire {q.instrument_id.upper()}: total {q.total}{band}"
        entries.append(Entry(q.received_at, "questionnaire", text))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
