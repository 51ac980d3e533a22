"""What a check-in's result tells the patient: the action once, the reason in one line.

Used by the result page and by Today, which leads with the advice of a check-in that asked the
patient to act until the clinic has acknowledged it or the patient has checked in again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.lists import format_list
from flask_babel import gettext as _
from sqlalchemy import select

from ..care.symptoms import SYMPTOMS_BY_CODE
from ..care.triage import RULES_BY_CODE, CheckInAnswers, Level, triggers
from ..extensions import db
from ..i18n import current_language, sentence
from ..models import Alert, CheckIn
from ..templating import lower_first


@dataclass(frozen=True)
class LevelAdvice:
    """One level of a result: why (the answers behind it) and what its rules add."""

    level: str
    because: str
    steps: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class CheckInAdvice:
    """A check-in's advice: its own level first, then any less urgent level it also reached."""

    check_in: CheckIn
    levels: tuple[LevelAdvice, ...]
    # 988 is shown whenever the patient reported thoughts of self-harm, whatever the level.
    has_crisis_reason: bool

    @property
    def level(self) -> str:
        return self.check_in.triage_level


def reason_text(content: dict[str, Any], code: str) -> str:
    """The clinic's wording for a triage reason, or the rule's own advice, translated."""
    if code in content["reasons"]:
        return content["reasons"][code]
    rule = RULES_BY_CODE.get(code)
    if rule is None:
        return code
    # An empty advice has nothing to add (gettext("") would give the catalog's header).
    return _(rule.advice) if rule.advice else ""


def because(check_in: CheckIn, codes: list[str]) -> str:
    """'Because you said: chest pain or pressure.' from the answers behind these rules."""
    answers = CheckInAnswers(
        severities=check_in.severities,
        systolic=check_in.systolic,
        diastolic=check_in.diastolic,
        heart_rate=check_in.heart_rate,
    )
    found = triggers(codes, answers)
    said = [lower_first(_(SYMPTOMS_BY_CODE[code].label)) for code in found.symptoms]
    if {"systolic", "diastolic"} & set(found.vitals):
        said.append(
            _(
                "blood pressure %(top)s/%(bottom)s",
                top=check_in.systolic or "?",
                bottom=check_in.diastolic or "?",
            )
        )
    if "heart_rate" in found.vitals:
        said.append(_("pulse %(rate)s", rate=check_in.heart_rate))
    if not said:
        return ""
    answers_said = format_list(said, locale=current_language())
    return sentence(_("Because you said: %(answers)s."), answers=answers_said)


def advice_for(check_in: CheckIn, content: dict[str, Any]) -> CheckInAdvice:
    """The result of one check-in, level by level, most urgent first."""
    by_level: dict[str, list[str]] = {}
    for code in check_in.triage_reasons:
        rule = RULES_BY_CODE.get(code)
        level = rule.level.value if rule else check_in.triage_level
        by_level.setdefault(level, []).append(code)
    order = sorted(by_level, key=lambda level: Level(level).rank, reverse=True)
    if check_in.triage_level not in by_level:
        order.insert(0, check_in.triage_level)
    levels = []
    for level in order:
        codes = by_level.get(level, [])
        steps = [
            {"code": code, "text": text} for code in codes if (text := reason_text(content, code))
        ]
        levels.append(LevelAdvice(level, because(check_in, codes), tuple(steps)))
    return CheckInAdvice(check_in, tuple(levels), "suicidal_thoughts" in check_in.triage_reasons)


def open_advice(latest: CheckIn | None) -> CheckIn | None:
    """The patient's latest check-in if it asked them to act and is still open.

    It stays open until the clinic acknowledges its alert or the patient checks in again (then
    that check-in is the latest, and speaks for itself).
    """
    if latest is None or not Level(latest.triage_level).is_alert:
        return None
    acknowledged = db.session.scalar(
        select(Alert.acknowledged_at).where(Alert.check_in_id == latest.id).limit(1)
    )
    return latest if acknowledged is None else None
