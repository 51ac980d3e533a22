"""Tests for questionnaire scoring: worked examples, band edges, refusals, clusters and change."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from aftercare.care.instruments import Direction, Instrument, load_builtin
from aftercare.care.scoring import (
    Alert,
    Change,
    IncompleteAnswers,
    InvalidAnswer,
    Score,
    alerts,
    change,
    please_answer,
    score,
)
from aftercare.care.triage import Level

BUILTIN = load_builtin()
PCL5, PHQ9, GAD7 = BUILTIN["pcl5"], BUILTIN["phq9"], BUILTIN["gad7"]
ITEM9_CRISIS = Alert(Level.CRISIS, "phq9_item9")


def answers(*values: int) -> dict[int, int]:
    """Answers to items 1, 2, 3... in order."""
    return dict(enumerate(values, start=1))


def all_zero_but(instrument: Instrument, **rated: int) -> dict[int, int]:
    """Every item answered 0 except those given as item_<number>=value."""
    given = dict.fromkeys(instrument.item_numbers, 0)
    given.update({int(key.removeprefix("item_")): value for key, value in rated.items()})
    return given


def totalling(instrument: Instrument, total: int) -> dict[int, int]:
    """Answers that add up to `total`, filling the first items first."""
    given = {}
    for number in instrument.item_numbers:
        given[number] = min(instrument.max_answer, total)
        total -= given[number]
    assert total == 0
    return given


WORKED_EXAMPLES = [
    pytest.param(
        PCL5,
        # B 3+2+1+4+2=12, C 3+1=4, D 0+2+3+1+2+0+1=9, E 1+0+3+2+1+4=11; total 36.
        # Rated 2+: B items 1,2,4,5; C item 6; D items 9,10,12; E items 17,18,20 -> rule met.
        answers(3, 2, 1, 4, 2, 3, 1, 0, 2, 3, 1, 2, 0, 1, 1, 0, 3, 2, 1, 4),
        Score("pcl5", PCL5.version, 36, None, {"B": 12, "C": 4, "D": 9, "E": 11}, True, ()),
        id="pcl5_moderate_meeting_the_rule",
    ),
    pytest.param(
        PCL5,
        # Every item 1 ("A little bit"): B 5, C 2, D 7, E 6; total 20; nothing rated 2+.
        answers(*[1] * 20),
        Score("pcl5", PCL5.version, 20, None, {"B": 5, "C": 2, "D": 7, "E": 6}, False, ()),
        id="pcl5_all_a_little_bit",
    ),
    pytest.param(
        PCL5,
        # Every item 4 ("Extremely"): B 20, C 8, D 28, E 24; total 80.
        answers(*[4] * 20),
        Score("pcl5", PCL5.version, 80, None, {"B": 20, "C": 8, "D": 28, "E": 24}, True, ()),
        id="pcl5_highest",
    ),
    pytest.param(
        PHQ9,
        # 1+2+1+3+0+2+1+0+0 = 10 -> Moderate (10-14); item 9 is 0, so no alert.
        answers(1, 2, 1, 3, 0, 2, 1, 0, 0),
        Score("phq9", PHQ9.version, 10, "Moderate", {}, None, ()),
        id="phq9_moderate",
    ),
    pytest.param(
        PHQ9,
        # 0+1+0+1+0+0+0+0+1 = 3 -> None-minimal (0-4), but item 9 is 1: crisis alert.
        answers(0, 1, 0, 1, 0, 0, 0, 0, 1),
        Score("phq9", PHQ9.version, 3, "None\u2013minimal", {}, None, (ITEM9_CRISIS,)),
        id="phq9_minimal_with_item_9",
    ),
    pytest.param(
        PHQ9,
        # 3+3+2+3+2+3+2+2+0 = 20 -> Severe (20-27).
        answers(3, 3, 2, 3, 2, 3, 2, 2, 0),
        Score("phq9", PHQ9.version, 20, "Severe", {}, None, ()),
        id="phq9_severe",
    ),
    pytest.param(
        GAD7,
        # 2+3+1+2+0+1+3 = 12 -> Moderate (10-14).
        answers(2, 3, 1, 2, 0, 1, 3),
        Score("gad7", GAD7.version, 12, "Moderate", {}, None, ()),
        id="gad7_moderate",
    ),
    pytest.param(
        GAD7,
        # 1+1+1+0+0+1+0 = 4 -> Minimal (0-4).
        answers(1, 1, 1, 0, 0, 1, 0),
        Score("gad7", GAD7.version, 4, "Minimal", {}, None, ()),
        id="gad7_minimal",
    ),
]


@pytest.mark.parametrize(("instrument", "given", "expected"), WORKED_EXAMPLES)
def test_it_scores_each_worked_example(
    instrument: Instrument, given: dict[int, int], expected: Score
) -> None:
    assert score(instrument, given) == expected


BAND_EDGES = [
    (PHQ9, 0, "None\u2013minimal"),
    (PHQ9, 4, "None\u2013minimal"),
    (PHQ9, 5, "Mild"),
    (PHQ9, 9, "Mild"),
    (PHQ9, 10, "Moderate"),
    (PHQ9, 14, "Moderate"),
    (PHQ9, 15, "Moderately severe"),
    (PHQ9, 19, "Moderately severe"),
    (PHQ9, 20, "Severe"),
    (PHQ9, 27, "Severe"),
    (GAD7, 0, "Minimal"),
    (GAD7, 4, "Minimal"),
    (GAD7, 5, "Mild"),
    (GAD7, 9, "Mild"),
    (GAD7, 10, "Moderate"),
    (GAD7, 14, "Moderate"),
    (GAD7, 15, "Severe"),
    (GAD7, 21, "Severe"),
]


@pytest.mark.parametrize(
    ("instrument", "total", "band"),
    BAND_EDGES,
    ids=[f"{instrument.id}_{total}" for instrument, total, _ in BAND_EDGES],
)
def test_it_bands_each_edge_of_each_band(instrument: Instrument, total: int, band: str) -> None:
    result = score(instrument, totalling(instrument, total))

    assert (result.total, result.band) == (total, band)


def test_band_edges_cover_every_band_of_every_instrument() -> None:
    # Guards the table above: a band added to a definition needs its edges tested too.
    edges = {(instrument.id, total) for instrument, total, _ in BAND_EDGES}

    assert edges == {
        (instrument.id, edge)
        for instrument in BUILTIN.values()
        for band in instrument.scoring.bands
        for edge in (band.min, band.max)
    }


@pytest.mark.parametrize("total", [0, 32, 33, 80])
def test_pcl5_has_no_severity_band(total: int) -> None:
    # The National Center for PTSD publishes a cut-point, not severity bands.
    assert score(PCL5, totalling(PCL5, total)).band is None


MISSING = [
    (PHQ9, {3, 7}, "Please answer questions 3 and 7."),
    (PCL5, {20}, "Please answer question 20."),
    (GAD7, {1, 2, 7}, "Please answer questions 1, 2 and 7."),
    (PHQ9, set(range(1, 10)), "Please answer questions 1, 2, 3, 4, 5, 6, 7, 8 and 9."),
]


@pytest.mark.parametrize(
    ("instrument", "missing", "message"),
    MISSING,
    ids=[f"{instrument.id}_{len(missing)}_missing" for instrument, missing, _ in MISSING],
)
def test_it_refuses_missing_answers_naming_them(
    instrument: Instrument, missing: set[int], message: str
) -> None:
    given = {number: 0 for number in instrument.item_numbers if number not in missing}

    with pytest.raises(IncompleteAnswers) as refused:
        score(instrument, given)

    assert str(refused.value) == message
    assert refused.value.missing == tuple(sorted(missing))


def test_an_answer_of_none_is_missing_not_zero() -> None:
    given: dict[int, Any] = all_zero_but(PHQ9)
    given[5] = None

    with pytest.raises(IncompleteAnswers, match=r"^Please answer question 5\.$"):
        score(PHQ9, given)


def test_incomplete_answers_is_a_value_error() -> None:
    # Views can catch ValueError alone for every answer the patient must fix.
    assert issubclass(IncompleteAnswers, ValueError)
    assert issubclass(InvalidAnswer, ValueError)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ([4], "Please answer question 4."),
        ([7, 3], "Please answer questions 3 and 7."),
        ([1, 10, 2], "Please answer questions 1, 2 and 10."),
    ],
)
def test_please_answer_lists_the_questions_in_order(missing: list[int], message: str) -> None:
    assert please_answer(missing) == message


INVALID = [
    ("pcl5_above_4", PCL5, 1, 5, "The answer to question 1 must be 0 to 4, not 5."),
    ("pcl5_negative", PCL5, 2, -1, "The answer to question 2 must be 0 to 4, not -1."),
    ("phq9_above_3", PHQ9, 9, 4, "The answer to question 9 must be 0 to 3, not 4."),
    ("gad7_text", GAD7, 3, "2", "The answer to question 3 must be 0 to 3, not '2'."),
    ("gad7_true", GAD7, 3, True, "The answer to question 3 must be 0 to 3, not True."),
    ("phq9_decimal", PHQ9, 1, 2.0, "The answer to question 1 must be 0 to 3, not 2.0."),
    ("phq9_no_question_10", PHQ9, 10, 1, "The PHQ-9 has no question 10."),
    ("pcl5_no_question_0", PCL5, 0, 0, "The PCL-5 has no question 0."),
    (
        "phq9_difficulty_is_not_scored",
        PHQ9,
        "difficulty",
        1,
        "The PHQ-9 has no question 'difficulty'.",
    ),
]


@pytest.mark.parametrize(
    ("instrument", "item", "value", "message"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_it_refuses_an_answer_that_is_not_one_of_the_instruments(
    instrument: Instrument, item: Any, value: Any, message: str
) -> None:
    given: dict[Any, Any] = all_zero_but(instrument)
    given[item] = value

    with pytest.raises(InvalidAnswer) as refused:
        score(instrument, given)

    assert str(refused.value) == message
    assert refused.value.item == item


def test_an_invalid_answer_is_reported_before_missing_ones() -> None:
    with pytest.raises(InvalidAnswer):
        score(PHQ9, {1: 7})


PROVISIONAL = [
    # (id, items rated, total, rule met): every other item is 0.
    # One B, one C, two D and two E items at exactly 2: each cluster at its minimum.
    ("just_meets", {1: 2, 6: 2, 8: 2, 9: 2, 15: 2, 16: 2}, 12, True),
    ("b_one_short", {6: 2, 8: 2, 9: 2, 15: 2, 16: 2}, 10, False),
    ("c_one_short", {1: 2, 8: 2, 9: 2, 15: 2, 16: 2}, 10, False),
    ("d_one_short", {1: 2, 6: 2, 8: 2, 15: 2, 16: 2}, 10, False),
    ("e_one_short", {1: 2, 6: 2, 8: 2, 9: 2, 15: 2}, 10, False),
    # "A little bit" (1) is not an endorsed symptom, however many items have it.
    ("one_item_rated_1", {1: 1, 6: 2, 8: 2, 9: 2, 15: 2, 16: 2}, 11, False),
    ("all_rated_4", {1: 4, 6: 4, 8: 4, 9: 4, 15: 4, 16: 4}, 24, True),
    # B 5x4=20, C 2x1=2, D 7x4=28, E 6x4=24: total 74, far above 33, but no C symptom.
    (
        "high_total_without_avoidance",
        {**dict.fromkeys(range(1, 21), 4), 6: 1, 7: 1},
        74,
        False,
    ),
]


@pytest.mark.parametrize(
    ("rated", "total", "met"),
    [case[1:] for case in PROVISIONAL],
    ids=[case[0] for case in PROVISIONAL],
)
def test_it_applies_the_pcl5_provisional_diagnosis_rule(
    rated: dict[int, int], total: int, met: bool
) -> None:
    given = {**all_zero_but(PCL5), **rated}

    result = score(PCL5, given)

    assert (result.total, result.provisional_diagnosis) == (total, met)


def test_pcl5_cluster_scores_add_only_their_own_items() -> None:
    # Each cluster's first item is rated: B item 1 = 1, C item 6 = 2, D item 8 = 3, E item 15 = 4.
    result = score(PCL5, all_zero_but(PCL5, item_1=1, item_6=2, item_8=3, item_15=4))

    assert result.clusters == {"B": 1, "C": 2, "D": 3, "E": 4}
    assert result.total == 10


@pytest.mark.parametrize("instrument", [PHQ9, GAD7], ids=["phq9", "gad7"])
def test_instruments_without_a_rule_give_no_provisional_diagnosis(instrument: Instrument) -> None:
    result = score(instrument, totalling(instrument, instrument.scoring.total_max))

    assert (result.clusters, result.provisional_diagnosis) == ({}, None)


@pytest.mark.parametrize(
    ("item9", "expected"),
    [(0, ()), (1, (ITEM9_CRISIS,)), (2, (ITEM9_CRISIS,)), (3, (ITEM9_CRISIS,))],
)
def test_phq9_item_9_above_0_raises_a_crisis_alert_whatever_the_total(
    item9: int, expected: tuple[Alert, ...]
) -> None:
    result = score(PHQ9, all_zero_but(PHQ9, item_9=item9))

    assert (result.total, result.band, result.alerts) == (item9, "None\u2013minimal", expected)


def test_an_unfinished_phq9_still_carries_the_item_9_alert() -> None:
    # The patient answered item 9 first and stopped: the crisis screen must not wait.
    with pytest.raises(IncompleteAnswers) as refused:
        score(PHQ9, {9: 2})

    assert refused.value.alerts == (ITEM9_CRISIS,)
    assert refused.value.missing == (1, 2, 3, 4, 5, 6, 7, 8)


@pytest.mark.parametrize(
    ("given", "expected"),
    [({}, ()), ({9: 0}, ()), ({9: 1}, (ITEM9_CRISIS,)), ({1: 3, 9: None}, ())],
)
def test_alerts_read_partial_answers(given: dict[int, Any], expected: tuple[Alert, ...]) -> None:
    assert alerts(PHQ9, given) == expected


def test_alerts_refuse_an_invalid_answer() -> None:
    with pytest.raises(InvalidAnswer):
        alerts(PHQ9, {9: 4})


@pytest.mark.parametrize("instrument", [PCL5, GAD7], ids=["pcl5", "gad7"])
def test_pcl5_and_gad7_never_alert(instrument: Instrument) -> None:
    result = score(instrument, totalling(instrument, instrument.scoring.total_max))

    assert result.alerts == ()


CHANGES = [
    # (baseline, current, delta, reliable, meaningful, improved, worsened) on the PCL-5.
    (40, 36, -4, False, False, True, False),
    (40, 35, -5, True, False, True, False),
    (40, 31, -9, True, False, True, False),
    (40, 30, -10, True, True, True, False),
    (40, 44, 4, False, False, False, True),
    (40, 45, 5, True, False, False, True),
    (40, 49, 9, True, False, False, True),
    (40, 50, 10, True, True, False, True),
    (40, 40, 0, False, False, False, False),
    (80, 0, -80, True, True, True, False),
]


@pytest.mark.parametrize(
    ("baseline", "current", "delta", "reliable", "meaningful", "improved", "worsened"),
    CHANGES,
    ids=[f"{baseline}_to_{current}" for baseline, current, *_ in CHANGES],
)
def test_it_marks_pcl5_change_as_reliable_at_5_and_meaningful_at_10(
    baseline: int,
    current: int,
    delta: int,
    reliable: bool,
    meaningful: bool,
    improved: bool,
    worsened: bool,
) -> None:
    assert change(PCL5, baseline, current) == Change(
        delta, reliable, meaningful, improved, worsened
    )


@pytest.mark.parametrize("instrument", [PHQ9, GAD7], ids=["phq9", "gad7"])
def test_it_gives_no_change_markers_without_published_thresholds(instrument: Instrument) -> None:
    instrument = dataclasses.replace(
        instrument, scoring=dataclasses.replace(instrument.scoring, change=None)
    )
    assert change(instrument, 15, 5) == Change(-10, None, None, True, False)
    assert change(instrument, 5, 15) == Change(10, None, None, False, True)


def test_phq9_change_is_reliable_at_6_and_has_no_meaningful_threshold() -> None:
    assert change(PHQ9, 20, 15) == Change(-5, False, None, True, False)
    assert change(PHQ9, 20, 14) == Change(-6, True, None, True, False)


def test_improvement_follows_the_instruments_direction() -> None:
    higher_is_better = dataclasses.replace(
        PCL5, scoring=dataclasses.replace(PCL5.scoring, direction=Direction.HIGHER_IS_BETTER)
    )

    assert change(higher_is_better, 40, 50) == Change(10, True, True, True, False)
    assert change(higher_is_better, 40, 30) == Change(-10, True, True, False, True)


@pytest.mark.parametrize(
    ("instrument", "baseline", "current", "message"),
    [
        (PCL5, 81, 40, "The baseline PCL-5 total must be 0 to 80, not 81."),
        (PCL5, 40, -1, "The current PCL-5 total must be 0 to 80, not -1."),
        (PHQ9, 10, 28, "The current PHQ-9 total must be 0 to 27, not 28."),
        (GAD7, True, 3, "The baseline GAD-7 total must be 0 to 21, not True."),
    ],
)
def test_it_refuses_a_total_outside_the_instruments_range(
    instrument: Instrument, baseline: Any, current: Any, message: str
) -> None:
    with pytest.raises(ValueError) as refused:
        change(instrument, baseline, current)

    assert str(refused.value) == message
