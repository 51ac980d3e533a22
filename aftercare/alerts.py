"""What the clinic is told when a patient's answers are stored: their alerts, and the audit row.

The check-in and the questionnaires (and whatever a patient sends later) each have rules that
say which answers need the care team (care/triage.py, care/questionnaire_alerts.py); what
happens then is the same for all of them, and written here once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from . import audit
from .care.triage import Level
from .extensions import db
from .models import Alert, CheckIn, Patient, QuestionnaireResponse

Answers = CheckIn | QuestionnaireResponse

# For each kind of answers: the alert's column that points at them, and the audit action.
KINDS: dict[type[Answers], tuple[str, str]] = {
    CheckIn: ("check_in_id", "check_in.create"),
    QuestionnaireResponse: ("questionnaire_response_id", "questionnaire.create"),
}


@dataclass(frozen=True)
class RaisedAlert:
    """An alert the rules raised: how urgent, and why (reason codes)."""

    level: Level
    reasons: Sequence[str]


def alert_and_audit(
    patient: Patient, answers: Answers, alerts: Iterable[RaisedAlert], detail: dict[str, Any]
) -> None:
    """Put each alert on the clinic's dashboard, pointing at the answers, and audit the answers.

    The answers must have their id (flushed); the caller commits them together, so that stored
    answers never lack the alert they raised.
    """
    column, action = KINDS[type(answers)]
    for alert in alerts:
        db.session.add(
            Alert(
                clinic_id=patient.clinic_id,
                patient_id=patient.id,
                level=alert.level.value,
                reasons=list(alert.reasons),
                created_at=answers.received_at,
                **{column: answers.id},
            )
        )
    audit.record(action, clinic_id=patient.clinic_id, patient_id=patient.id, detail=detail)
