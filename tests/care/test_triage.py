"""Tests for the triage rules: the shared case table, and the table of rules itself."""

from __future__ import annotations

import json

import pytest

from aftercare.care.symptoms import SYMPTOMS_BY_CODE
from aftercare.care.triage import (
    RULES,
    RULES_BY_CODE,
    CheckInAnswers,
    Level,
    Rule,
    TriageResult,
    evaluate,
    rules_for_browser,
    triage,
)
from tests.care.triage_cases import CASES, Case


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_it_triages_each_case_as_expected(case: Case) -> None:
    result = triage(case.check_in_answers(), case.hours)

    assert result == TriageResult(Level(case.level), case.reasons)


def test_every_rule_is_hit_by_at_least_one_case() -> None:
    hit = {reason for case in CASES for reason in case.reasons}

    assert set(RULES_BY_CODE) - hit == set()


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in CASES]

    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_case_expects_the_level_of_its_most_urgent_reason(case: Case) -> None:
    # Guards the case table itself against a typo in a hand-written level.
    levels = [RULES_BY_CODE[code].level for code in case.reasons]

    assert Level(case.level) == max(levels, key=lambda level: level.rank, default=Level.EXPECTED)


def test_rule_codes_are_unique() -> None:
    assert len(RULES_BY_CODE) == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_rules_name_only_known_symptoms_and_rules(rule: Rule) -> None:
    assert [code for code in rule.symptoms if code not in SYMPTOMS_BY_CODE] == []
    assert [code for code in rule.unless if code not in RULES_BY_CODE] == []


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_a_rules_advice_adds_to_its_level_and_never_says_the_action_again(rule: Rule) -> None:
    # The result's title says "Call 911 now" (or 988, or the clinic) once; the advice of each
    # rule says why, or what else to do, or nothing.
    assert not rule.advice.startswith(("Call 911", "Call or text 988", "Call the clinic"))
    assert rule.advice == "" or rule.advice.endswith(".")


def test_the_most_urgent_reason_comes_first_whatever_the_table_order() -> None:
    answers = CheckInAnswers({"painful_urination": 1, "suicidal_thoughts": 1, "chest_pain": 1})

    result = evaluate(tuple(reversed(RULES)), answers, 2)

    assert result == TriageResult(
        Level.EMERGENCY, ("chest_pain", "suicidal_thoughts", "painful_urination")
    )


def test_ties_keep_the_table_order() -> None:
    answers = CheckInAnswers({"painful_urination": 1, "rash_itching": 1})

    assert evaluate(RULES, answers, 2).reasons == ("rash_itching", "painful_urination")
    assert evaluate(tuple(reversed(RULES)), answers, 2).reasons == (
        "painful_urination",
        "rash_itching",
    )


def test_rules_for_browser_round_trips_through_json() -> None:
    rules = rules_for_browser()

    assert json.loads(json.dumps(rules)) == rules
    assert [rule["code"] for rule in rules] == [rule.code for rule in RULES]


def test_rules_for_browser_carries_every_condition() -> None:
    bp_high = next(rule for rule in rules_for_browser() if rule["code"] == "bp_high")

    assert bp_high == {
        "code": "bp_high",
        "level": "call_clinic",
        "advice": RULES_BY_CODE["bp_high"].advice,
        "conditions": {
            "symptoms": [],
            "min_severity": 1,
            "vitals_at_least": {"systolic": 160, "diastolic": 100},
            "min_hours": 4,
            "unless": ["bp_crisis"],
        },
    }


@pytest.mark.parametrize(
    ("level", "rank", "is_alert"),
    [
        (Level.EXPECTED, 0, False),
        (Level.CALL_CLINIC, 1, True),
        (Level.CRISIS, 2, True),
        (Level.EMERGENCY, 3, True),
    ],
)
def test_levels_rank_by_urgency(level: Level, rank: int, is_alert: bool) -> None:
    assert (level.rank, level.is_alert) == (rank, is_alert)


@pytest.mark.parametrize(
    "conditions",
    [
        pytest.param({}, id="no_symptoms_or_vitals"),
        pytest.param({"min_hours": 4}, id="hours_alone"),
        pytest.param({"symptoms": ("headache",), "min_severity": 0}, id="min_severity_0"),
        pytest.param({"vitals_at_least": (("pulse", 120),)}, id="unknown_vital"),
    ],
)
def test_a_malformed_rule_is_refused(conditions: dict) -> None:
    with pytest.raises(ValueError):
        Rule("bad", Level.CALL_CLINIC, "Call the clinic.", **conditions)
