"""Questionnaire alerts: which answers raise which alert, and what the patient is shown.

The rules are data in each instrument's definition (scoring.alerts in the JSON), so that the
browser (static/js/questionnaire_alerts.js) evaluates the very same rules offline: a patient
who answers PHQ-9 item 9 with no signal must see crisis help at once. Both evaluators must stay
identical; tests/browser/test_questionnaire_alert_parity.py runs every case in
tests/care/questionnaire_alert_cases.py through both.

A rule is raised when its item has an answer above `above`; an unanswered item raises nothing.
Raised rules come most urgent first, the table's own order breaking ties. The patient is shown
the help that the first of them names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aftercare.care.triage import Level

# What a rule can show the patient: the advice under `levels` in the clinic's content (title
# and body, in the patient's language) with the calls it needs (templates/patient/_alert_help).
HELP = tuple(level.value for level in Level if level.is_alert)


@dataclass(frozen=True)
class ItemAlert:
    """An answer to one item above `above` alerts the care team, whatever the total.

    `level` is how urgently the care team must act; `shows` names the help the patient sees
    at once (one of HELP), which need not be the same: an emergency for the clinic can be a
    call to the crisis line for the patient.
    """

    item: int
    above: int
    level: Level
    reason: str
    shows: str

    def raised_by(self, answers: Mapping[int, int | None]) -> bool:
        """Whether this rule's item is answered above its threshold."""
        answer = answers.get(self.item)
        return answer is not None and answer > self.above


def raised(rules: Sequence[ItemAlert], answers: Mapping[int, int | None]) -> tuple[ItemAlert, ...]:
    """The rules these answers raise, most urgent first; the table's order breaks ties.

    The answers must already be checked against the instrument (scoring does that).
    """
    matched = [(index, rule) for index, rule in enumerate(rules) if rule.raised_by(answers)]
    matched.sort(key=lambda pair: (-pair[1].level.rank, pair[0]))
    return tuple(rule for _, rule in matched)


def help_to_show(rules: Sequence[ItemAlert], alerts: Iterable[tuple[Level, str]]) -> str | None:
    """The help for the most urgent of these raised (level, reason) alerts, or None.

    It is the help its rule names; an alert whose rule is gone shows the help of its level.
    """
    ranked = sorted(alerts, key=lambda alert: -alert[0].rank)
    if not ranked:
        return None
    level, reason = ranked[0]
    rule = next((rule for rule in rules if (rule.level, rule.reason) == (level, reason)), None)
    return rule.shows if rule is not None else level.value


def rules_for_browser(rules: Sequence[ItemAlert]) -> list[dict[str, Any]]:
    """The rules as JSON-serialisable dicts for static/js/questionnaire_alerts.js.

    Each carries its level's rank, so the browser orders by urgency with no table of its own.
    """
    return [
        {
            "item": rule.item,
            "above": rule.above,
            "level": rule.level.value,
            "rank": rule.level.rank,
            "reason": rule.reason,
            "shows": rule.shows,
        }
        for rule in rules
    ]
