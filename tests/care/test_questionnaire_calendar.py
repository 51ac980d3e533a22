"""Questionnaire schedule: on the clinic's calendar, across zones and daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aftercare.care.questionnaire_calendar import (
    QuestionnaireSchedule,
    due_now,
    missed,
    occurrences,
)

NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
DEFAULT = QuestionnaireSchedule()


def local(tz, *args):  # noqa: ANN001, ANN201
    return datetime(*args, tzinfo=tz).astimezone(UTC)


def by_instrument(found):  # noqa: ANN001, ANN201
    result = {}
    for o in found:
        result.setdefault(o.instrument_id, []).append(o)
    return result


def test_pcl5_is_weekly_and_phq9_gad7_every_two_weeks_from_the_day_after_the_first_infusion():
    start = local(NEW_YORK, 2026, 11, 2, 11, 0)
    found = by_instrument(occurrences(DEFAULT, start, [], start + timedelta(days=29), NEW_YORK))
    assert [o.due_at for o in found["pcl5"]] == [
        local(NEW_YORK, 2026, 11, d, 10, 0) for d in (3, 10, 17, 24)
    ] + [local(NEW_YORK, 2026, 12, 1, 10, 0)]
    assert [o.due_at for o in found["phq9"]] == [
        local(NEW_YORK, 2026, 11, 3, 10, 0),
        local(NEW_YORK, 2026, 11, 17, 10, 0),
        local(NEW_YORK, 2026, 12, 1, 10, 0),
    ]
    assert found["pcl5"][0].closes_at == found["pcl5"][1].due_at


def test_the_hour_stays_put_across_a_daylight_saving_change():
    # First infusion on 26 October 2026; the clocks go back on 1 November.
    start = local(NEW_YORK, 2026, 10, 26, 15, 0)
    pcl5 = by_instrument(occurrences(DEFAULT, start, [], start + timedelta(days=10), NEW_YORK))[
        "pcl5"
    ]
    assert [o.due_at.astimezone(NEW_YORK).hour for o in pcl5] == [10, 10]
    assert pcl5[1].due_at - pcl5[0].due_at == timedelta(days=7, hours=1)  # 7 days + the extra hour


def test_the_clinics_zone_decides_the_day():
    # 23:30 UTC on 2 Nov is already 3 Nov in Tokyo: the first PCL-5 is on 4 Nov there.
    start = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)
    first = by_instrument(occurrences(DEFAULT, start, [], start + timedelta(days=3), TOKYO))[
        "pcl5"
    ][0]
    assert first.due_at == local(TOKYO, 2026, 11, 4, 10, 0)


def test_phq9_and_gad7_are_due_before_each_booster():
    start = local(NEW_YORK, 2026, 11, 2, 11, 0)
    booster = local(NEW_YORK, 2026, 12, 20, 9, 0)
    found = [
        o
        for o in occurrences(DEFAULT, start, [booster], booster, NEW_YORK)
        if o.reason == "booster"
    ]
    assert sorted(o.instrument_id for o in found) == ["gad7", "phq9"]
    assert all(
        o.due_at == local(NEW_YORK, 2026, 12, 18, 10, 0) and o.closes_at == booster for o in found
    )


def test_due_answered_and_missed():
    start = local(NEW_YORK, 2026, 11, 2, 11, 0)
    now = local(NEW_YORK, 2026, 11, 11, 12, 0)
    found = occurrences(DEFAULT, start, [], now, NEW_YORK)
    answered = {"pcl5": [local(NEW_YORK, 2026, 11, 3, 18, 0)]}  # week 1 answered, week 2 open
    due = due_now(found, answered, now)
    assert sorted(o.instrument_id for o in due) == ["gad7", "pcl5", "phq9"]
    missed_ones = missed(found, answered, now)
    assert [o.instrument_id for o in missed_ones] == []  # PHQ-9/GAD-7 windows are still open
    later = local(NEW_YORK, 2026, 11, 18, 12, 0)
    found = occurrences(DEFAULT, start, [], later, NEW_YORK)
    assert sorted(o.instrument_id for o in missed(found, answered, later)) == [
        "gad7",
        "pcl5",
        "phq9",
    ]


def test_an_answer_a_little_early_counts():
    start = local(NEW_YORK, 2026, 11, 2, 11, 0)
    found = occurrences(DEFAULT, start, [], start + timedelta(days=2), NEW_YORK)
    early = {"pcl5": [local(NEW_YORK, 2026, 11, 3, 1, 0)]}  # 9 hours before 10 AM
    assert "pcl5" not in {
        o.instrument_id for o in due_now(found, early, local(NEW_YORK, 2026, 11, 3, 12, 0))
    }


# --- With a treatment course planned --------------------------------------------------------

ONLY_PCL5 = QuestionnaireSchedule(every_days={"pcl5": 7}, before_booster=())


def test_a_baseline_opens_days_before_the_first_infusion_and_closes_when_it_begins():
    first_start = local(NEW_YORK, 2026, 3, 2, 9, 0)
    found = occurrences(DEFAULT, None, [], first_start, NEW_YORK, baseline_before=first_start)

    assert {o.instrument_id for o in found} == {"pcl5", "phq9", "gad7"}
    assert {(o.due_at, o.closes_at, o.reason) for o in found} == {
        (local(NEW_YORK, 2026, 2, 27, 10, 0), first_start, "baseline")
    }
    # An answer the morning of the infusion counts; one after it has begun does not.
    [pcl5] = [o for o in found if o.instrument_id == "pcl5"]
    assert pcl5.answered_by([local(NEW_YORK, 2026, 3, 2, 8, 0)])
    assert not pcl5.answered_by([local(NEW_YORK, 2026, 3, 2, 9, 30)])


def test_no_baseline_when_the_clinic_sets_it_to_zero_days():
    schedule = QuestionnaireSchedule(baseline_days_before=0)
    first_start = local(NEW_YORK, 2026, 3, 2, 9, 0)

    assert occurrences(schedule, None, [], first_start, NEW_YORK, baseline_before=first_start) == []


def test_the_series_end_brings_every_questionnaire_then_maintenance_every_two_weeks():
    start = local(NEW_YORK, 2026, 3, 2, 10, 0)  # the first infusion ends
    series_end = local(NEW_YORK, 2026, 3, 19, 10, 0)  # the sixth ends, day 17
    found = occurrences(
        ONLY_PCL5,
        start,
        [],
        local(NEW_YORK, 2026, 4, 20, 0, 0),
        NEW_YORK,
        series_end=series_end,
    )

    assert [(o.due_at.astimezone(NEW_YORK).date().isoformat(), o.reason) for o in found] == [
        ("2026-03-03", "regular"),
        ("2026-03-10", "regular"),
        ("2026-03-17", "regular"),
        ("2026-03-20", "end_of_series"),  # the day after the series ends
        ("2026-04-03", "maintenance"),
        ("2026-04-17", "maintenance"),
    ]
    # The last regular one gives way to the end-of-series one; the windows never overlap.
    assert all(a.closes_at == b.due_at for a, b in zip(found, found[1:], strict=False))


def test_maintenance_at_zero_days_keeps_each_questionnaires_own_interval():
    schedule = QuestionnaireSchedule(every_days={"pcl5": 7}, before_booster=(), maintenance_days=0)
    series_end = local(NEW_YORK, 2026, 3, 19, 10, 0)
    found = occurrences(
        schedule, None, [], local(NEW_YORK, 2026, 4, 3, 0, 0), NEW_YORK, series_end=series_end
    )

    assert [o.due_at.astimezone(NEW_YORK).day for o in found] == [20, 27]
