"""The patient's progress in words: against the score before the first infusion, calmly, and a
worsening says to talk with the clinic, never a verdict."""

from __future__ import annotations

import pytest

from aftercare.care.instruments import load_builtin
from aftercare.care.measurement import Classification, Kind, classify
from aftercare.questionnaires.progress import _in_words

BUILTIN = load_builtin()


def english(text: str, **values: object) -> str:
    return text % values if values else text


@pytest.mark.parametrize(
    ("instrument_id", "baseline", "total", "words"),
    [
        (
            "pcl5",
            42,
            28,
            [
                "Your PCL-5 score is 14 points lower than before your first infusion"
                " — a meaningful change."
            ],
        ),
        (
            "pcl5",
            42,
            35,
            [
                "Your PCL-5 score is 7 points lower than before your first infusion"
                " — more than day-to-day ups and downs."
            ],
        ),
        ("pcl5", 42, 40, ["Your PCL-5 score is a little lower than before your first infusion."]),
        ("pcl5", 42, 42, ["Your PCL-5 score is the same as before your first infusion."]),
        ("pcl5", 42, 44, ["Your PCL-5 score is a little higher than before your first infusion."]),
        (
            "pcl5",
            30,
            41,
            [
                "Your PCL-5 score is 11 points higher than before your first infusion.",
                "Please talk with your clinic about how you have been feeling.",
            ],
        ),
        (
            "phq9",
            18,
            4,
            [
                "Your PHQ-9 score is 14 points lower than before your first infusion"
                " — more than day-to-day ups and downs.",
                "That is half or less of your score before your first infusion.",
                "A score below 5 is in the lowest range.",
            ],
        ),
        (
            "pcl5",
            None,
            30,
            [
                "There is no PCL-5 score from before your first infusion, so there is nothing"
                " to compare it with yet."
            ],
        ),
    ],
)
def test_the_latest_score_in_words(
    instrument_id: str, baseline: int | None, total: int, words: list[str]
) -> None:
    instrument = BUILTIN[instrument_id]

    assert _in_words(instrument, classify(instrument, baseline, total), english) == words


def test_a_worsening_is_never_called_a_failure_or_relapse() -> None:
    pcl5 = BUILTIN["pcl5"]
    said = " ".join(_in_words(pcl5, classify(pcl5, 10, 60), english)).lower()

    assert "talk with your clinic" in said
    for verdict in ("fail", "relapse", "not working", "worse than", "bad"):
        assert verdict not in said


def test_a_starting_score_says_it_is_the_starting_point() -> None:
    baseline = Classification(Kind.BASELINE, 40, None, None, None, None)

    assert _in_words(BUILTIN["pcl5"], baseline, english) == [
        "This is your starting score. Later scores will be compared with it."
    ]
