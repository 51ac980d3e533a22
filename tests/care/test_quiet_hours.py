"""Quiet hours on the clinic's clock: across midnight, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from aftercare.care.quiet_hours import QuietHours

NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
NIGHT = QuietHours(21, 8)  # the default: 9 PM to 8 AM


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)


@pytest.mark.parametrize(
    ("quiet", "clock", "held"),
    [
        pytest.param(NIGHT, (20, 59), False, id="a minute before they begin"),
        pytest.param(NIGHT, (21, 0), True, id="as they begin"),
        pytest.param(NIGHT, (23, 30), True, id="late evening"),
        pytest.param(NIGHT, (0, 0), True, id="midnight"),
        pytest.param(NIGHT, (7, 59), True, id="a minute before they end"),
        pytest.param(NIGHT, (8, 0), False, id="as they end"),
        pytest.param(NIGHT, (12, 0), False, id="noon"),
        pytest.param(QuietHours(1, 6), (0, 59), False, id="within one day: before"),
        pytest.param(QuietHours(1, 6), (1, 0), True, id="within one day: from the start"),
        pytest.param(QuietHours(1, 6), (6, 0), False, id="within one day: at the end"),
        pytest.param(QuietHours(22, 22), (23, 0), False, id="equal hours: none"),
    ],
)
def test_a_moment_is_held_when_the_clinics_clock_is_inside_them(quiet, clock, held):
    moment = local(NEW_YORK, 2026, 11, 19, *clock)
    assert quiet.hold(moment, NEW_YORK) is held


@pytest.mark.parametrize(
    ("moment", "end", "night"),
    [
        pytest.param(
            local(NEW_YORK, 2026, 11, 19, 23, 0),
            local(NEW_YORK, 2026, 11, 20, 8, 0),
            9,
            id="before midnight: tomorrow at 8",
        ),
        pytest.param(
            local(NEW_YORK, 2026, 11, 20, 3, 0),
            local(NEW_YORK, 2026, 11, 20, 8, 0),
            5,
            id="after midnight: today at 8",
        ),
        pytest.param(
            # The clocks go back at 2 AM on Sunday 1 November 2026: the night is an hour longer.
            local(NEW_YORK, 2026, 10, 31, 23, 0),
            datetime(2026, 11, 1, 13, 0, tzinfo=UTC),  # 8 AM EST
            10,
            id="clocks go back: still 8 AM, ten hours later",
        ),
        pytest.param(
            # The clocks go forward at 2 AM on Sunday 8 March 2026: an hour shorter.
            local(NEW_YORK, 2026, 3, 7, 23, 0),
            datetime(2026, 3, 8, 12, 0, tzinfo=UTC),  # 8 AM EDT
            8,
            id="clocks go forward: still 8 AM, eight hours later",
        ),
        pytest.param(
            # Sydney's clocks go back at 3 AM on Sunday 5 April 2026.
            local(SYDNEY, 2026, 4, 4, 22, 0),
            datetime(2026, 4, 4, 22, 0, tzinfo=UTC),  # 8 AM AEST
            11,
            id="southern hemisphere, clocks go back",
        ),
    ],
)
def test_they_end_at_the_end_hour_of_the_clinics_clock(moment, end, night):
    tz = moment.tzinfo
    found = NIGHT.end_after(moment.astimezone(UTC), tz)
    assert found == end
    assert (found - moment).total_seconds() == night * 3600
    assert not NIGHT.hold(found, tz)


def test_an_end_hour_the_clocks_skip_ends_them_when_the_clocks_jump():
    # 2 AM does not exist in New York on 8 March 2026: 1:59 EST is followed by 3:00 EDT.
    quiet = QuietHours(21, 2)
    moment = local(NEW_YORK, 2026, 3, 8, 1, 30)
    end = quiet.end_after(moment, NEW_YORK)
    assert end == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # the jump itself, 3:00 EDT
    assert quiet.hold(end, NEW_YORK) is False
    assert quiet.hold(datetime(2026, 3, 8, 6, 59, tzinfo=UTC), NEW_YORK) is True  # 1:59 EST


@pytest.mark.parametrize(
    ("moment", "last"),
    [
        pytest.param((2026, 11, 19, 12, 0), (2026, 11, 19, 8, 0), id="noon: this morning"),
        pytest.param((2026, 11, 19, 8, 0), (2026, 11, 19, 8, 0), id="at the end: now"),
        pytest.param((2026, 11, 19, 7, 0), (2026, 11, 18, 8, 0), id="before it: yesterday"),
    ],
)
def test_the_last_end_is_the_latest_end_hour_so_far(moment, last):
    assert NIGHT.last_end(local(NEW_YORK, *moment), NEW_YORK) == local(NEW_YORK, *last)


@pytest.mark.parametrize(
    ("moment", "start"),
    [
        pytest.param((2026, 11, 19, 19, 0), (2026, 11, 19, 21, 0), id="evening: tonight"),
        pytest.param((2026, 11, 19, 21, 0), (2026, 11, 19, 21, 0), id="at the start: now"),
        pytest.param((2026, 11, 19, 22, 0), (2026, 11, 20, 21, 0), id="later: tomorrow"),
    ],
)
def test_the_next_start_is_the_first_start_hour_from_now(moment, start):
    assert NIGHT.next_start(local(NEW_YORK, *moment), NEW_YORK) == local(NEW_YORK, *start)


def test_equal_hours_mean_none_and_bad_hours_are_refused():
    none = QuietHours(8, 8)
    assert not none.any
    assert none.last_end(local(NEW_YORK, 2026, 11, 19, 12, 0), NEW_YORK) is None
    assert none.next_start(local(NEW_YORK, 2026, 11, 19, 12, 0), NEW_YORK) is None
    with pytest.raises(ValueError, match="from 0 to 23"):
        QuietHours(24, 8)
    assert NIGHT.describe() == "21:00 to 08:00"
