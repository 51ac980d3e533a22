"""Questionnaire alert rules, as data: the shared case table, evaluated in Python.

tests/browser/test_questionnaire_alert_parity.py runs the same cases in the browser.
"""

from __future__ import annotations

import pytest

from aftercare.care import scoring
from aftercare.care.questionnaire_alerts import (
    help_to_show,
    raised,
    rules_for_browser,
)
from aftercare.care.triage import Level
from tests.care.questionnaire_alert_cases import CASES, INSTRUMENTS, Case


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_case_raises_its_alerts_most_urgent_first(case: Case) -> None:
    rules = raised(INSTRUMENTS[case.instrument].scoring.alerts, case.answers)

    assert tuple(rule.reason for rule in rules) == case.reasons
    assert (rules[0].shows if rules else None) == case.shows


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_scoring_raises_the_same_alerts_for_the_clinic(case: Case) -> None:
    instrument = INSTRUMENTS[case.instrument]

    alerts = scoring.alerts(instrument, case.answers)

    assert tuple(alert.reason for alert in alerts) == case.reasons
    # What the patient is shown with their result comes from the alerts the clinic got.
    assert help_to_show(instrument.scoring.alerts, alerts) == case.shows


def test_a_stored_alert_whose_rule_is_gone_shows_its_levels_help() -> None:
    phq9 = INSTRUMENTS["phq9"]

    assert help_to_show(phq9.scoring.alerts, [(Level.CALL_CLINIC, "retired_rule")]) == (
        "call_clinic"
    )
    assert help_to_show(phq9.scoring.alerts, []) is None


def test_the_browser_gets_every_rule_with_its_rank() -> None:
    assert rules_for_browser(INSTRUMENTS["phq9"].scoring.alerts) == [
        {
            "item": 9,
            "above": 0,
            "level": "crisis",
            "rank": Level.CRISIS.rank,
            "reason": "phq9_item9",
            "shows": "crisis",
        }
    ]


def test_the_cases_cover_every_rule_of_every_instrument() -> None:
    # Guards the table: a rule added to a definition needs a case that raises it.
    raised_somewhere = {(case.instrument, reason) for case in CASES for reason in case.reasons}

    assert raised_somewhere == {
        (instrument.id, rule.reason)
        for instrument in INSTRUMENTS.values()
        for rule in instrument.scoring.alerts
    }
