"""Table tests for a clinic's outcomes: who counts in each rate, and the median time to
symptoms returning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aftercare.care.instruments import load_builtin
from aftercare.care.measurement import Classification, Kind, classify
from aftercare.care.outcome_summary import PatientOutcome, Rate, summarize

BUILTIN = load_builtin()
END = datetime(2026, 3, 19, 15, tzinfo=UTC)


def phq9(baseline: int | None, total: int) -> Classification:
    return classify(BUILTIN["phq9"], baseline, total)


def pcl5(baseline: int | None, total: int) -> Classification:
    return classify(BUILTIN["pcl5"], baseline, total)


def test_rates_count_only_completed_series_with_a_baseline() -> None:
    outcomes = [
        # Completed: a response and remission on the PHQ-9, a meaningful PCL-5 change.
        PatientOutcome(END, {"phq9": phq9(20, 4), "pcl5": pcl5(50, 30)}, END + timedelta(days=27)),
        # Completed: exactly half is a response; no remission; PCL-5 only reliable.
        PatientOutcome(END, {"phq9": phq9(20, 10), "pcl5": pcl5(50, 44)}, END + timedelta(days=35)),
        # Completed, no baseline: in no rate.
        PatientOutcome(END, {"phq9": phq9(None, 3)}),
        # Completed, still only a baseline answer: in no rate.
        PatientOutcome(END, {"pcl5": Classification(Kind.BASELINE, 40, None, None, None, None)}),
        # Still in the series: counted as having a course, in no rate.
        PatientOutcome(None, {"phq9": phq9(20, 2)}),
    ]

    found = summarize(outcomes, BUILTIN)

    assert (found.with_course, found.completed) == (5, 4)
    assert found.response == {"phq9": Rate(2, 2)}
    assert found.remission == {"phq9": Rate(1, 2)}
    assert found.meaningful_improvement["pcl5"] == Rate(1, 2)
    assert found.meaningful_improvement["gad7"] == Rate(0, 0)
    assert found.meaningful_improvement["gad7"].percent is None
    assert "phq9" not in found.meaningful_improvement  # no published meaningful change
    assert found.returned == 2
    assert found.median_days_to_returning == 31


def test_nothing_yet() -> None:
    found = summarize([], {"pcl5": BUILTIN["pcl5"]})

    assert (found.with_course, found.completed, found.returned) == (0, 0, 0)
    assert found.median_days_to_returning is None
    assert Rate(1, 3).percent == 33
