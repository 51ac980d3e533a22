"""What a nurse needs on an alert to call the patient back: when it was (hours since the
infusion), every answer that raised it in words, the other answers, vitals and the patient's
note. Read for a whole page of alerts at once; data in, data out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import select

from ..care.instruments import Instrument
from ..care.symptoms import SEVERITY_LABELS, SYMPTOMS_BY_CODE, Severity
from ..care.triage import RULES
from ..extensions import db
from ..models import Alert, CheckIn, Infusion, QuestionnaireResponse
from ..templating import reason_label

Row = TypeVar("Row", CheckIn, QuestionnaireResponse, Infusion)
RULES_BY_CODE = {rule.code: rule for rule in RULES}
VITAL_WORDS = {"systolic": "top number", "diastolic": "bottom number", "heart_rate": "pulse"}


@dataclass(frozen=True)
class AlertDetail:
    """One alert, told in words."""

    hours_since_infusion: float | None
    source: str  # "Check-in" or the questionnaire's name
    triggered_by: list[str]  # each answer that raised the alert
    other_answers: list[str] = field(default_factory=list)
    vitals: str = ""
    note: str = ""


def alert_details(
    alerts: Sequence[Alert], instruments: Mapping[str, Instrument]
) -> dict[int, AlertDetail]:
    """Each alert's details, by alert id, in a few queries for the whole page."""
    check_ins = _by_id(CheckIn, {a.check_in_id for a in alerts if a.check_in_id})
    responses = _by_id(
        QuestionnaireResponse,
        {a.questionnaire_response_id for a in alerts if a.questionnaire_response_id},
    )
    infusions = _by_id(Infusion, {r.infusion_id for r in responses.values() if r.infusion_id})
    details: dict[int, AlertDetail] = {}
    for alert in alerts:
        if alert.check_in_id in check_ins:
            details[alert.id] = check_in_detail(alert, check_ins[alert.check_in_id])
        elif alert.questionnaire_response_id in responses:
            response = responses[alert.questionnaire_response_id]
            infusion = infusions.get(response.infusion_id) if response.infusion_id else None
            details[alert.id] = questionnaire_detail(
                alert, response, instruments.get(response.instrument_id), infusion
            )
        else:
            details[alert.id] = AlertDetail(None, "", [reason_label(r) for r in alert.reasons])
    return details


def check_in_detail(alert: Alert, check_in: CheckIn) -> AlertDetail:
    """A check-in's alert: the answers its triage rules matched first, then the rest."""
    answered = {code: value for code, value in check_in.severities.items() if value}
    triggered: list[str] = []
    used: set[str] = set()
    for reason in alert.reasons:
        rule = RULES_BY_CODE.get(reason)
        matched = [
            code
            for code in (rule.symptoms if rule else ())
            if answered.get(code, 0) >= rule.min_severity
        ]
        if rule and rule.vitals_at_least:
            readings = [
                f"{VITAL_WORDS[vital]} {getattr(check_in, vital)}"
                for vital, threshold in rule.vitals_at_least
                if (getattr(check_in, vital) or 0) >= threshold
            ]
            triggered.append(f"{reason_label(reason)} ({', '.join(readings)})")
            triggered += [symptom_answer(code, answered[code]) for code in matched]
        elif matched:
            triggered += [symptom_answer(code, answered[code]) for code in matched]
        else:
            triggered.append(reason_label(reason))
        used.update(matched)
    others = [symptom_answer(code, value) for code, value in answered.items() if code not in used]
    if check_in.got_home_safely is False:
        others.append("Did not get home safely with a driver")
    return AlertDetail(
        hours_since_infusion=check_in.hours_since_infusion,
        source="Check-in",
        triggered_by=list(dict.fromkeys(triggered)),
        other_answers=others,
        vitals=vitals_of(check_in),
        note=check_in.note,
    )


def questionnaire_detail(
    alert: Alert,
    response: QuestionnaireResponse,
    instrument: Instrument | None,
    infusion: Infusion | None,
) -> AlertDetail:
    """A questionnaire's alert: each item its rules matched, with the question and the answer."""
    hours = None
    if infusion is not None:
        answered_at = response.filled_at or response.received_at
        hours = max(0.0, (answered_at - infusion.ended_at).total_seconds() / 3600)
    if instrument is None:
        name = response.instrument_id.upper()
        return AlertDetail(hours, name, [reason_label(r) for r in alert.reasons])
    items = {item.number: item.text for item in instrument.items}
    options = {option.value: option.label for option in instrument.options}
    triggered = []
    for rule in instrument.scoring.alerts:
        if rule.reason in alert.reasons:
            value = response.answers.get(str(rule.item))
            answer = options.get(value, str(value)) if value is not None else "no answer"
            triggered.append(f"Item {rule.item}, “{items.get(rule.item, '')}”: {answer}")
    total = f"Total {response.total}" + (f" ({response.band})" if response.band else "")
    return AlertDetail(
        hours,
        instrument.short_title,
        triggered or [reason_label(r) for r in alert.reasons],
        [total],
    )


def symptom_answer(code: str, value: int) -> str:
    """'Headache: quite a bit', or 'Chest pain or pressure' for a yes/no red flag."""
    symptom = SYMPTOMS_BY_CODE.get(code)
    if symptom is None:
        return f"{code.replace('_', ' ').capitalize()}: {value}"
    if not symptom.graded:
        return str(symptom.label)
    try:
        words = str(SEVERITY_LABELS[Severity(value)]).lower()
    except (KeyError, ValueError):  # a value the form never sends
        words = str(value)
    return f"{symptom.label}: {words}"


def vitals_of(check_in: CheckIn) -> str:
    """'Blood pressure 182/110, pulse 96', or '' when none were given."""
    parts = []
    if check_in.systolic or check_in.diastolic:
        parts.append(f"Blood pressure {check_in.systolic or '?'}/{check_in.diastolic or '?'}")
    if check_in.heart_rate:
        parts.append(f"pulse {check_in.heart_rate}")
    return ", ".join(parts)


def _by_id(model: type[Row], ids: set[int]) -> dict[int, Row]:
    """Rows of one table by id, in one query."""
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}
