"""Table tests for the treatment course: target dates, the patient's place, the series' end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from aftercare.care.course import (
    CoursePlan,
    Maintenance,
    Position,
    position,
    series_ended_at,
    spread_dates,
)

MONDAY = date(2026, 3, 2)


def days(*offsets: int) -> list[date]:
    return [MONDAY + timedelta(days=n) for n in offsets]


def test_six_infusions_by_default_fall_twice_a_week_over_two_and_a_half_weeks() -> None:
    dates = spread_dates(MONDAY, 6)

    assert dates == days(0, 3, 7, 10, 14, 17)
    assert [d.strftime("%a") for d in dates] == ["Mon", "Thu"] * 3


@pytest.mark.parametrize(
    ("count", "span", "expected"),
    [(1, 17, [0]), (2, 14, [0, 14]), (4, 9, [0, 3, 6, 9]), (8, 21, [0, 3, 6, 9, 12, 15, 18, 21])],
)
def test_spread_dates_start_on_the_first_day_and_end_on_the_last(
    count: int, span: int, expected: list[int]
) -> None:
    assert spread_dates(MONDAY, count, span) == days(*expected)


def test_a_series_needs_an_infusion() -> None:
    with pytest.raises(ValueError, match="at least one"):
        spread_dates(MONDAY, 0)


PLAN = CoursePlan(tuple(spread_dates(MONDAY, 6)))
EVERY_4 = CoursePlan(tuple(spread_dates(MONDAY, 6)), Maintenance.EVERY_WEEKS, 4)

SIX = (0, 3, 7, 10, 14, 17)


def on(n: int) -> date:
    return MONDAY + timedelta(days=n)


# (plan, infusion days, booked days, today, done, next on, next is a booster)
POSITIONS = [
    ("nothing yet", PLAN, [], [], on(-3), 0, on(0), False),
    ("after the third", PLAN, days(0, 3, 7), [], on(8), 3, on(10), False),
    ("a booking wins", PLAN, days(0, 3, 7), days(11), on(8), 3, on(11), False),
    ("past target", PLAN, days(0, 3), [], on(9), 2, None, False),
    ("series done", PLAN, days(*SIX), [], on(18), 6, None, True),
    ("every 4 weeks", EVERY_4, days(*SIX), [], on(18), 6, on(45), True),
    ("booster booked", PLAN, days(*SIX), days(50), on(40), 6, on(50), True),
    ("past booking ignored", PLAN, days(*SIX), days(20), on(40), 6, None, True),
]


@pytest.mark.parametrize(
    ("plan", "infusions", "booked", "today", "done", "next_on", "booster"),
    [case[1:] for case in POSITIONS],
    ids=[case[0] for case in POSITIONS],
)
def test_the_patients_place_in_the_course(
    plan: CoursePlan,
    infusions: list[date],
    booked: list[date],
    today: date,
    done: int,
    next_on: date | None,
    booster: bool,
) -> None:
    found = position(plan, infusions, booked, today)

    assert found == Position(done, 6, next_on, booster, plan.maintenance, plan.booster_every_weeks)


def test_infusions_after_the_series_are_boosters() -> None:
    found = position(PLAN, days(0, 3, 7, 10, 14, 17, 45), [], MONDAY + timedelta(days=46))

    assert found.series_complete
    assert found.boosters == 1


def test_the_series_ends_with_the_end_of_its_last_infusion() -> None:
    ends = [datetime(2026, 3, 2, 16, tzinfo=UTC) + timedelta(days=n) for n in (17, 0, 3, 7, 10)]

    assert series_ended_at(6, ends) is None
    assert series_ended_at(5, ends) == ends[0]
    assert series_ended_at(5, [*ends, ends[0] + timedelta(days=30)]) == ends[0]
