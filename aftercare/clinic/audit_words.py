"""The audit trail in words: "Ana Ruiz viewed Ivan R.'s alert", one sentence per action code.

Every code the app records has its sentence here (tests/clinic/test_audit_words.py reads the
code for every audit call and fails on a code without one). The raw code stays on the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..extensions import db
from ..models import AuditEvent, Clinician, Patient
from .settings_sections import SECTIONS

# {who}: the person or phone that did it; {patient}: the patient's name or code as the clinic
# wrote it; {whose}: "Ivan R.'s" or "every patient's"; {clinician}: the colleague acted on;
# others come from the event's detail (see _values).
SENTENCES: dict[str, str] = {
    "alert.view": "{who} viewed {patient}'s alert",
    "alert.acknowledge": "{who} acknowledged {patient}'s alert",
    "patient.view": "{who} opened {patient}'s page",
    "patient.create": "{who} added {patient} as a new patient",
    "patient.update": "{who} changed {patient}'s details{changed}",
    "patient.delete": "{who} deleted {patient} and all their data",
    "infusion.create": "{who} recorded an infusion for {patient}",
    "appointment.create": "{who} booked an appointment for {patient}",
    "appointment.update": "{who} changed an appointment of {patient}",
    "appointment.cancel": "{who} cancelled an appointment of {patient}",
    "appointment.reply": "{patient} answered an appointment's reminder: {reply}{channel}",
    "appointment.reply_handled": "{who} handled {patient}'s request for another time",
    "enrollment_link.create": "{who} made a link for {patient} to link a phone",
    "device.enroll": "{patient} linked a phone",
    "device.revoke": "{who} unlinked a phone of {patient}",
    "push.subscribe": "{who} turned on reminders on a phone",
    "push.unsubscribe": "{who} turned off reminders on a phone",
    "email.set": "{who} set the email for {patient}'s reminders",
    "email.remove": "{who} removed the email for {patient}'s reminders",
    "email.verify": "{patient}'s email for reminders was confirmed from the email's link",
    "email.unsubscribe": "{patient}'s email reminders were turned off from the email's link",
    "companion.create": "{who} made a companion link",
    "companion.revoke": "{who} stopped the companion link",
    "check_in.create": "{patient} sent a check-in",
    "questionnaire.create": "{patient} answered a questionnaire",
    "export.csv": "{who} started a CSV download of {whose} check-ins{days}",
    "export.csv.completed": "{who}'s CSV download of {whose} check-ins finished ({rows} rows)",
    "export.csv.incomplete": "{who}'s CSV download of {whose} check-ins stopped before the end",
    "export.fhir": "{who} started a FHIR download of {whose} record{days}",
    "export.fhir.completed": "{who}'s FHIR download of {whose} record finished",
    "export.fhir.incomplete": "{who}'s FHIR download of {whose} record stopped before the end",
    "export.journal_csv": "{who} started a CSV download of {whose} shared journal entries{days}",
    "export.journal_csv.completed": (
        "{who}'s CSV download of {whose} shared journal entries finished ({rows} rows)"
    ),
    "export.journal_csv.incomplete": (
        "{who}'s CSV download of {whose} shared journal entries stopped before the end"
    ),
    "journal.share": "{patient} shared a journal entry with the care team",
    "journal.unshare": "{patient} stopped sharing a journal entry",
    "journal.view": "{who} read {patient}'s shared journal entries",
    "clinic.journal_prompts": "{who} changed the journal's questions",
    "course.plan": "{who} planned {patient}'s treatment course",
    "course.update": "{who} changed {patient}'s treatment course",
    "booster_review.open": "{patient}'s answers put them on the review-for-a-booster list",
    "booster_review.view": "{who} saw {patient} on the review-for-a-booster list",
    "booster_review.decide": "{who} decided {decision} for {patient}'s booster review",
    "outcomes.view": "{who} opened the clinic's outcomes",
    "clinic.thresholds": "{who} changed which thresholds classify questionnaire changes",
    "export.questionnaires_csv": "{who} started a CSV download of {whose} questionnaires",
    "export.questionnaires_csv.completed": (
        "{who}'s CSV download of {whose} questionnaires finished ({rows} rows)"
    ),
    "export.questionnaires_csv.incomplete": (
        "{who}'s CSV download of {whose} questionnaires stopped before the end"
    ),
    "export.questionnaires_fhir": "{who} started a FHIR download of {whose} questionnaires",
    "export.questionnaires_fhir.completed": (
        "{who}'s FHIR download of {whose} questionnaires finished"
    ),
    "export.questionnaires_fhir.incomplete": (
        "{who}'s FHIR download of {whose} questionnaires stopped before the end"
    ),
    "clinic.settings": "{who} changed the settings{section}",
    "clinic.learn": "{who} edited the Learn article “{article}”",
    "clinician.sign_in": "{who} signed in",
    "clinician.sign_out": "{who} signed out",
    "clinician.two_factor_enabled": "{who} turned on two-factor sign-in",
    "clinician.invite": "{who} invited {clinician} as {role}",
    "clinician.invite_accepted": "{who} accepted their invitation",
    "clinician.disable": "{who} disabled {clinician}'s account",
    "clinician.enable": "{who} enabled {clinician}'s account again",
    "clinician.reset_two_factor": "{who} reset {clinician}'s two-factor sign-in",
    "clinician.reset_password": "{who} reset {clinician}'s password",
    "clinician.session_end": "{who} signed out one of their other browsers",
    "clinician.sessions_end_others": "{who} signed out of every other browser",
}

ROLES = {"admin": "an admin", "clinician": "a clinician"}
REPLIES = {"confirmed": "I'll be there", "needs_new_time": "I need another time"}
CHANNELS = {
    "notification": " (from a notification)",
    "email": " (from an email)",
    "app": " (in the app)",
}
DECISIONS = {"booster_booked": "a booster booked", "watch": "to watch", "no_action": "no action"}


@dataclass(frozen=True)
class AuditLine:
    """One event as the audit page shows it."""

    event: AuditEvent
    sentence: str
    day: date
    time: str  # "14:02", on the clinic's clock


class Names:
    """The names an audit page needs, each looked up once, within the clinic."""

    def __init__(self, clinic_id: int, events: Iterable[AuditEvent]) -> None:
        events = list(events)
        patient_ids = {e.patient_id for e in events if e.patient_id is not None}
        self.patients: dict[int, str] = dict(
            db.session.execute(
                select(Patient.id, Patient.display_name).where(
                    Patient.clinic_id == clinic_id, Patient.id.in_(patient_ids)
                )
            ).all()
        )
        self.clinicians: dict[int, str] = dict(
            db.session.execute(
                select(Clinician.id, Clinician.name).where(Clinician.clinic_id == clinic_id)
            ).all()
        )

    def patient(self, patient_id: int | None) -> str:
        if patient_id is None:
            return "a patient"
        # The trail outlives a deleted patient: their number is all that is left.
        return self.patients.get(patient_id, f"deleted patient no. {patient_id}")

    def clinician(self, clinician_id: Any) -> str:  # noqa: ANN401 (read from JSON)
        if isinstance(clinician_id, int) and clinician_id in self.clinicians:
            return self.clinicians[clinician_id]
        return "a colleague"

    def actor(self, actor: str, patient_id: int | None) -> str:
        kind, _, number = actor.partition(":")
        if kind == "clinician" and number.isdigit():
            return self.clinician(int(number))
        if kind == "device":
            return self.patient(patient_id)
        if kind == "system":
            return "Aftercare"
        return "Someone not signed in"


def _values(event: AuditEvent, names: Names) -> dict[str, str]:
    detail: Mapping[str, Any] = event.detail if isinstance(event.detail, Mapping) else {}
    patient = names.patient(event.patient_id)
    days = " ".join(
        f"{word} {detail[key]}" for key, word in (("from", "from"), ("to", "to")) if key in detail
    )
    changed = detail.get("changed")
    section = detail.get("section")
    if section:
        titles = {s.slug: s.title for s in SECTIONS}
        section = titles.get(str(section), str(section))
    return {
        "who": names.actor(event.actor, event.patient_id),
        "patient": patient,
        "whose": f"{patient}'s" if event.patient_id is not None else "every patient's",
        "clinician": names.clinician(detail.get("clinician_id")),
        "role": ROLES.get(str(detail.get("role")), "a clinician"),
        "rows": str(detail.get("rows", "?")),
        "days": f" ({days})" if days else "",
        "changed": f" ({', '.join(map(str, changed))})" if isinstance(changed, list) else "",
        "section": f": {section}" if section else "",
        "article": str(detail.get("article", "")),
        "decision": DECISIONS.get(str(detail.get("decision")), "a decision"),
        "reply": REPLIES.get(str(detail.get("reply")), "an answer"),
        "channel": CHANNELS.get(str(detail.get("channel")), ""),
    }


def sentence(event: AuditEvent, names: Names) -> str:
    """The event in words; an unknown code (an old one, say) is shown as it was recorded."""
    template = SENTENCES.get(event.action)
    values = _values(event, names)
    if template is None:
        return f"{values['who']}: {event.action}"
    return template.format_map(values)


def day_heading(day: date, today: date) -> str:
    """'Today', 'Yesterday' or 'Saturday 5 December 2026'."""
    if day == today:
        return "Today"
    if (today - day).days == 1:
        return "Yesterday"
    return f"{day:%A} {day.day} {day:%B %Y}"


def in_words(clinic_id: int, events: Iterable[AuditEvent], tz: ZoneInfo) -> list[AuditLine]:
    """The events as sentences, with their day and time on the clinic's clock."""
    events = list(events)
    names = Names(clinic_id, events)
    lines = []
    for event in events:
        local: datetime = event.at.astimezone(tz)
        lines.append(
            AuditLine(event, sentence(event, names), local.date(), local.strftime("%H:%M"))
        )
    return lines
