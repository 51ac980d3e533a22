"""Table tests for measurement-based care: every threshold of the built-in instruments, at and
around its boundary, a missing baseline, missed questionnaires and symptoms returning."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from aftercare.care.instruments import load_builtin
from aftercare.care.measurement import (
    Answer,
    Classification,
    Kind,
    Returning,
    baseline_of,
    classify,
    classify_series,
    in_words,
    meaningful_choices,
    symptoms_returning,
    with_meaningful_change,
)

BUILTIN = load_builtin()
PCL5, PHQ9, GAD7 = BUILTIN["pcl5"], BUILTIN["phq9"], BUILTIN["gad7"]

# (instrument, baseline, total, kind, response, remission)
CASES = [
    # PCL-5: 5 to 9 points reliable, 10 or more clinically meaningful, either way.
    ("pcl5", 40, 40, Kind.NO_RELIABLE_CHANGE, None, None),
    ("pcl5", 40, 36, Kind.NO_RELIABLE_CHANGE, None, None),
    ("pcl5", 40, 35, Kind.RELIABLE_IMPROVEMENT, None, None),
    ("pcl5", 40, 31, Kind.RELIABLE_IMPROVEMENT, None, None),
    ("pcl5", 40, 30, Kind.MEANINGFUL_IMPROVEMENT, None, None),  # exactly 10 points
    ("pcl5", 40, 0, Kind.MEANINGFUL_IMPROVEMENT, None, None),
    ("pcl5", 40, 44, Kind.NO_RELIABLE_CHANGE, None, None),
    ("pcl5", 40, 45, Kind.RELIABLE_WORSENING, None, None),
    ("pcl5", 40, 49, Kind.RELIABLE_WORSENING, None, None),
    ("pcl5", 40, 50, Kind.MEANINGFUL_WORSENING, None, None),  # exactly 10 points
    # PHQ-9: reliable change 6; response a fall of 50 % or more; remission below 5.
    ("phq9", 20, 15, Kind.NO_RELIABLE_CHANGE, False, False),
    ("phq9", 20, 14, Kind.RELIABLE_IMPROVEMENT, False, False),
    ("phq9", 20, 11, Kind.RELIABLE_IMPROVEMENT, False, False),  # 45 %: no response
    ("phq9", 20, 10, Kind.RELIABLE_IMPROVEMENT, True, False),  # exactly 50 %
    ("phq9", 21, 10, Kind.RELIABLE_IMPROVEMENT, True, False),  # odd baseline: 52 %
    ("phq9", 21, 11, Kind.RELIABLE_IMPROVEMENT, False, False),  # 48 %
    ("phq9", 20, 5, Kind.RELIABLE_IMPROVEMENT, True, False),  # 5 is not below 5
    ("phq9", 20, 4, Kind.RELIABLE_IMPROVEMENT, True, True),
    ("phq9", 8, 4, Kind.NO_RELIABLE_CHANGE, True, True),  # remission without reliable change
    ("phq9", 10, 15, Kind.NO_RELIABLE_CHANGE, False, False),
    ("phq9", 10, 16, Kind.RELIABLE_WORSENING, False, False),
    ("phq9", 0, 0, Kind.NO_RELIABLE_CHANGE, None, True),  # nothing to halve
    # GAD-7: a change of 4 is reliable and the minimal clinically important difference;
    # recovery below 8.
    ("gad7", 12, 9, Kind.NO_RELIABLE_CHANGE, None, False),
    ("gad7", 12, 8, Kind.MEANINGFUL_IMPROVEMENT, None, False),  # 8 is not below 8
    ("gad7", 12, 7, Kind.MEANINGFUL_IMPROVEMENT, None, True),
    ("gad7", 12, 16, Kind.MEANINGFUL_WORSENING, None, False),
    ("gad7", 6, 7, Kind.NO_RELIABLE_CHANGE, None, True),
]


@pytest.mark.parametrize(
    ("instrument_id", "baseline", "total", "kind", "response", "remission"),
    CASES,
    ids=[f"{i}-{b}-to-{t}" for i, b, t, *_ in CASES],
)
def test_each_total_is_classified_against_the_baseline(
    instrument_id: str,
    baseline: int,
    total: int,
    kind: Kind,
    response: bool | None,
    remission: bool | None,
) -> None:
    found = classify(BUILTIN[instrument_id], baseline, total)

    assert found == Classification(kind, total, baseline, total - baseline, response, remission)


@pytest.mark.parametrize("instrument_id", ["pcl5", "phq9", "gad7"])
def test_without_a_baseline_there_is_no_change_or_response_but_remission_still_counts(
    instrument_id: str,
) -> None:
    found = classify(BUILTIN[instrument_id], None, 3)

    assert found.kind is Kind.NO_BASELINE
    assert (found.delta, found.response) == (None, None)
    assert found.remission is (None if instrument_id == "pcl5" else True)


def test_every_threshold_in_use_names_its_source() -> None:
    for instrument in (PCL5, PHQ9, GAD7):
        scoring = instrument.scoring
        for threshold in (scoring.change, scoring.response, scoring.remission, scoring.returning):
            assert threshold is None or "http" in threshold.source, instrument.id
    assert "10.1002/jts.22975" in PCL5.scoring.change.source
    assert "NHS Talking Therapies" in PHQ9.scoring.change.source
    assert "10.1016/j.jad.2020.01.032" in GAD7.scoring.change.source


def test_an_instrument_without_change_thresholds_is_not_rated() -> None:
    bare = dataclasses.replace(PCL5, scoring=dataclasses.replace(PCL5.scoring, change=None))

    assert classify(bare, 40, 20).kind is Kind.CHANGE_NOT_RATED


START = datetime(2026, 3, 2, 15, tzinfo=UTC)  # the first infusion begins


def day(n: float) -> datetime:
    return START + timedelta(days=n)


def test_the_baseline_is_the_last_answer_before_the_first_infusion() -> None:
    answers = [Answer(day(-5), 50), Answer(day(-1), 46), Answer(day(1), 30)]

    assert baseline_of(answers, START) == 46
    assert baseline_of(answers, None) == 30  # no infusion yet: the latest so far
    assert baseline_of([Answer(day(1), 30)], START) is None
    assert baseline_of([Answer(day(-1), None), Answer(day(1), 30)], START) is None


def test_a_series_with_a_missed_questionnaire_keeps_its_baseline() -> None:
    answers = [
        Answer(day(-2), 46),
        Answer(day(7), None),  # missed
        Answer(day(14), 40),
        Answer(day(21), None),  # missed
        Answer(day(28), 34),
    ]

    kinds = [found.kind for found in classify_series(PCL5, answers, START)]

    assert kinds == [
        Kind.BASELINE,
        Kind.MISSED,
        Kind.RELIABLE_IMPROVEMENT,
        Kind.MISSED,
        Kind.MEANINGFUL_IMPROVEMENT,
    ]


def test_a_missed_baseline_leaves_every_later_total_without_a_comparison() -> None:
    answers = [Answer(day(-2), None), Answer(day(7), 30), Answer(day(14), 20)]

    kinds = [found.kind for found in classify_series(PCL5, answers, START)]

    assert kinds == [Kind.MISSED, Kind.NO_BASELINE, Kind.NO_BASELINE]


SERIES_END = day(17)

# (instrument, totals after the series in order (None: missed), returning or None)
RETURNING = [
    ("pcl5", [30, 22, 31], None),  # 9 above the lowest: not yet
    ("pcl5", [30, 22, 32], Returning(32, 22, 10, 10)),  # exactly 10
    ("pcl5", [22, None, 33], Returning(33, 22, 11, 10)),  # a missed one in between
    ("pcl5", [22, 40, 35], Returning(35, 22, 13, 10)),  # against the lowest, not the last
    ("pcl5", [40], None),  # one answer: nothing to rise from
    ("pcl5", [None, 40], None),
    ("phq9", [4, 9], None),  # 5 points
    ("phq9", [4, 10], Returning(10, 4, 6, 6)),  # reliable worsening: 6
    ("gad7", [2, 15], None),  # the GAD-7 has no returning rule
]


@pytest.mark.parametrize(
    ("instrument_id", "totals", "expected"),
    RETURNING,
    ids=[f"{i}-{'-'.join(map(str, t))}" for i, t, _ in RETURNING],
)
def test_symptoms_return_when_the_latest_total_rises_far_enough_above_the_lowest(
    instrument_id: str, totals: list[int | None], expected: Returning | None
) -> None:
    before_and_during = [Answer(day(-1), 45), Answer(day(8), 12)]
    after = [Answer(SERIES_END + timedelta(days=7 * (n + 1)), t) for n, t in enumerate(totals)]

    found = symptoms_returning(BUILTIN[instrument_id], before_and_during + after, SERIES_END)

    assert found == expected


def test_symptoms_do_not_return_before_the_series_has_ended() -> None:
    answers = [Answer(day(1), 10), Answer(day(8), 40)]

    assert symptoms_returning(PCL5, answers, None) is None


@pytest.mark.parametrize(
    ("instrument_id", "baseline", "total", "words"),
    [
        ("pcl5", 42, 28, "-14 from baseline 42: clinically meaningful improvement"),
        ("phq9", 20, 4, "-16 from baseline 20: reliable improvement; response"),
        ("gad7", 12, 7, "-5 from baseline 12: clinically meaningful improvement; recovery"),
        ("pcl5", None, 28, "No baseline before the first infusion"),
        ("phq9", 8, 14, "+6 from baseline 8: reliable worsening"),
    ],
)
def test_the_clinician_reads_the_classification_in_words(
    instrument_id: str, baseline: int | None, total: int, words: str
) -> None:
    instrument = BUILTIN[instrument_id]

    assert in_words(instrument, classify(instrument, baseline, total)).startswith(words)


# Where the sources disagree: the PCL-5's meaningful change is 10 (National Center for PTSD)
# or, as the clinic may choose, 9 or 12 (the ends of Blanchard et al.'s 9-12).
# (chosen meaningful change, points fallen from a baseline of 40, kind)
CHOSEN_CASES = [
    (None, 9, Kind.RELIABLE_IMPROVEMENT),
    (None, 10, Kind.MEANINGFUL_IMPROVEMENT),
    (10, 9, Kind.RELIABLE_IMPROVEMENT),
    (10, 10, Kind.MEANINGFUL_IMPROVEMENT),
    (9, 8, Kind.RELIABLE_IMPROVEMENT),
    (9, 9, Kind.MEANINGFUL_IMPROVEMENT),  # exactly 9 points, with 9 chosen
    (12, 10, Kind.RELIABLE_IMPROVEMENT),  # 10 is not enough once 12 is chosen
    (12, 11, Kind.RELIABLE_IMPROVEMENT),
    (12, 12, Kind.MEANINGFUL_IMPROVEMENT),  # exactly 12 points, with 12 chosen
    (12, -12, Kind.MEANINGFUL_WORSENING),
    (12, -11, Kind.RELIABLE_WORSENING),
    (11, 10, Kind.MEANINGFUL_IMPROVEMENT),  # 11 is not a published choice: the definition's 10
]


@pytest.mark.parametrize(("chosen", "fallen", "kind"), CHOSEN_CASES)
def test_the_clinics_chosen_meaningful_change_classifies(
    chosen: int | None, fallen: int, kind: Kind
) -> None:
    pcl5 = with_meaningful_change(PCL5, chosen)
    assert classify(pcl5, 40, 40 - fallen).kind is kind


def test_the_pcl5_offers_its_published_values_and_the_others_offer_none() -> None:
    choices = meaningful_choices(PCL5)
    assert [choice.value for choice in choices] == [10, 9, 12]
    assert "National Center for PTSD" in choices[0].source
    assert all("10.1002/jts.22975" in choice.source for choice in choices[1:])
    assert meaningful_choices(PHQ9) == () and meaningful_choices(GAD7) == ()
    assert with_meaningful_change(PHQ9, 9) is PHQ9  # nothing to choose: unchanged


def test_a_chosen_meaningful_change_leaves_the_rest_of_the_definition_alone() -> None:
    pcl5 = with_meaningful_change(PCL5, 12)
    assert pcl5.scoring.change.meaningful == 12
    assert pcl5.scoring.change.reliable == PCL5.scoring.change.reliable
    assert pcl5.scoring.returning == PCL5.scoring.returning  # the review list keeps its 10
    assert PCL5.scoring.change.meaningful == 10  # the shared definition is not changed
    assert in_words(pcl5, classify(pcl5, 40, 30)).endswith("reliable improvement")
