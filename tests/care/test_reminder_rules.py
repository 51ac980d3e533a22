"""Reminder plans: which reminders, when, across time zones and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftercare.care.content import DEFAULT_CONTENT
from aftercare.care.reminder_rules import (
    ReminderSettings,
    appointment_plan,
    describe_when,
    infusion_prompts,
)

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
SYDNEY = ZoneInfo("Australia/Sydney")
WORDS = DEFAULT_CONTENT["notifications"]
DEFAULTS = ReminderSettings.from_content(DEFAULT_CONTENT["reminders"])
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)


def plan(kind: str, starts: datetime, tz: ZoneInfo, now: datetime = LONG_AGO, **settings):
    chosen = ReminderSettings(**{**DEFAULTS.__dict__, **settings})
    return {
        p.kind: p for p in appointment_plan(kind, starts.astimezone(UTC), tz, chosen, WORDS, now)
    }


def test_a_follow_up_gets_reminders_a_day_and_two_hours_before():
    starts = local(NEW_YORK, 2026, 11, 19, 15, 0)
    plans = plan("follow_up", starts, NEW_YORK)
    assert list(plans) == ["before_24h", "before_2h"]
    assert plans["before_24h"].due_at == starts - timedelta(hours=24)
    assert plans["before_24h"].body == "You have an appointment tomorrow at 3 PM."
    assert plans["before_2h"].body == "You have an appointment today at 3 PM."
    assert plans["before_2h"].urgency == "high" and plans["before_24h"].urgency == "normal"
    assert all(p.expires_at == starts for p in plans.values())


def test_an_infusion_also_gets_a_ride_home_reminder_the_day_before():
    starts = local(NEW_YORK, 2026, 11, 19, 9, 30)
    plans = plan("infusion", starts, NEW_YORK)
    driver = plans["arrange_driver"]
    assert driver.due_at == local(NEW_YORK, 2026, 11, 18, 10, 0)
    assert driver.body == (
        "Your appointment is tomorrow at 9:30 AM. Arrange for someone to take you home afterwards."
    )
    assert "booster" in {k for k in ("booster",)} and "arrange_driver" in plan(
        "booster", starts, NEW_YORK
    )
    assert "arrange_driver" not in plan("integration", starts, NEW_YORK)


@pytest.mark.parametrize(
    ("tz", "starts", "offset", "due_local"),
    [
        # Clocks go forward in the US on 8 March 2026: 24 real hours before 3 PM on Sunday is
        # 2 PM on Saturday by the clock.
        (NEW_YORK, (2026, 3, 8, 15, 0), 24, (2026, 3, 7, 14, 0)),
        # ...and back on 1 November 2026: 24 real hours before 3 PM Sunday is 4 PM Saturday.
        (NEW_YORK, (2026, 11, 1, 15, 0), 24, (2026, 10, 31, 16, 0)),
        # Two real hours before 3:30 AM, across the skipped hour, is 12:30 AM.
        (LOS_ANGELES, (2026, 3, 8, 3, 30), 2, (2026, 3, 8, 0, 30)),
        # Australia's clocks go back on 5 April 2026.
        (SYDNEY, (2026, 4, 5, 12, 0), 24, (2026, 4, 4, 13, 0)),
    ],
)
def test_offsets_are_real_hours_across_daylight_saving(tz, starts, offset, due_local):
    starts_at = local(tz, *starts)
    planned = plan("follow_up", starts_at, tz, appointment_hours=(offset,))[f"before_{offset}h"]
    assert planned.due_at.astimezone(tz).replace(tzinfo=None) == datetime(*due_local)
    assert planned.due_at == starts_at.astimezone(UTC) - timedelta(hours=offset)


def test_the_ride_home_reminder_keeps_its_clock_time_across_daylight_saving():
    starts = local(NEW_YORK, 2026, 3, 9, 9, 0)  # the Monday after the clocks went forward
    driver = plan("infusion", starts, NEW_YORK)["arrange_driver"]
    assert driver.due_at.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2026, 3, 8, 10, 0)
    assert driver.due_at == datetime(2026, 3, 8, 14, 0, tzinfo=UTC)  # EDT is UTC-4


def test_reminders_already_past_when_booked_are_left_out():
    starts = local(NEW_YORK, 2026, 11, 19, 15, 0)
    now = starts - timedelta(hours=5)
    assert list(plan("follow_up", starts, NEW_YORK, now=now)) == ["before_2h"]


def test_clinic_offsets_are_used():
    starts = local(NEW_YORK, 2026, 11, 19, 15, 0)
    assert list(plan("follow_up", starts, NEW_YORK, appointment_hours=(72, 1, 24))) == [
        "before_72h",
        "before_24h",
        "before_1h",
    ]


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown appointment kind"):
        plan("surgery", local(NEW_YORK, 2026, 11, 19, 15, 0), NEW_YORK)


def prompts(ended: datetime, tz: ZoneInfo, now: datetime = LONG_AGO):
    return {p.kind: p for p in infusion_prompts(ended.astimezone(UTC), tz, DEFAULTS, WORDS, now)}


def test_after_an_infusion_the_patient_is_asked_that_evening_and_the_next_morning():
    planned = prompts(local(NEW_YORK, 2026, 11, 19, 11, 0), NEW_YORK)
    assert planned["checkin_evening"].due_at == local(NEW_YORK, 2026, 11, 19, 19, 0)
    assert planned["checkin_morning"].due_at == local(NEW_YORK, 2026, 11, 20, 9, 0)
    # Once quiet hours begin (9 PM) it could only come in the morning: it is over by then.
    assert planned["checkin_evening"].expires_at == local(NEW_YORK, 2026, 11, 19, 21, 0)
    assert planned["checkin_evening"].url == "/check-in"
    assert planned["checkin_morning"].url == "/check-in?morning=1"


def test_prompts_follow_the_clinics_clock_across_daylight_saving():
    # Infusion on Saturday 7 March 2026; the clocks go forward that night.
    planned = prompts(local(NEW_YORK, 2026, 3, 7, 10, 0), NEW_YORK)
    assert planned["checkin_evening"].due_at == datetime(2026, 3, 8, 0, 0, tzinfo=UTC)  # 7 PM EST
    assert planned["checkin_morning"].due_at == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)  # 9 AM EDT
    # The same infusion in Los Angeles: the clinic's own zone decides.
    planned = prompts(local(LOS_ANGELES, 2026, 3, 7, 10, 0), LOS_ANGELES)
    assert planned["checkin_morning"].due_at == datetime(2026, 3, 8, 16, 0, tzinfo=UTC)  # 9 AM PDT


def test_a_late_infusion_gets_its_evening_prompt_two_hours_after_it_ends():
    planned = prompts(local(NEW_YORK, 2026, 11, 19, 18, 0), NEW_YORK)
    assert planned["checkin_evening"].due_at == local(NEW_YORK, 2026, 11, 19, 20, 0)


def test_an_evening_prompt_that_would_fall_in_quiet_hours_is_not_planned():
    # Ends at 7:30 PM: the prompt would be at 9:30 PM, after quiet hours begin at 9 PM. It would
    # wait until 8 AM, an hour before the morning prompt, asking about an evening long over.
    planned = prompts(local(NEW_YORK, 2026, 11, 19, 19, 30), NEW_YORK)
    assert list(planned) == ["checkin_morning"]
    # A clinic whose quiet hours begin at 11 PM asks that evening, until they begin.
    later_quiet = ReminderSettings(**{**DEFAULTS.__dict__, "quiet_start": 23})
    ended = local(NEW_YORK, 2026, 11, 19, 19, 30).astimezone(UTC)
    evening, _ = infusion_prompts(ended, NEW_YORK, later_quiet, WORDS, LONG_AGO)
    assert evening.kind == "checkin_evening"
    assert evening.due_at == local(NEW_YORK, 2026, 11, 19, 21, 30)
    assert evening.expires_at == local(NEW_YORK, 2026, 11, 19, 23, 0)


def test_an_infusion_ending_at_night_gets_only_the_morning_prompt():
    planned = prompts(local(NEW_YORK, 2026, 11, 19, 21, 0), NEW_YORK)
    assert list(planned) == ["checkin_morning"]


def test_prompts_that_can_no_longer_help_are_left_out():
    ended = local(NEW_YORK, 2026, 11, 19, 11, 0)
    later = local(NEW_YORK, 2026, 11, 20, 8, 0)
    assert list(prompts(ended, NEW_YORK, now=later)) == ["checkin_morning"]


@pytest.mark.parametrize(
    ("moment", "reference", "text"),
    [
        ((2026, 11, 19, 15, 0), (2026, 11, 19, 9, 0), "today at 3 PM"),
        ((2026, 11, 20, 9, 5), (2026, 11, 19, 22, 0), "tomorrow at 9:05 AM"),
        ((2026, 11, 23, 15, 0), (2026, 11, 19, 9, 0), "Monday at 3 PM"),
    ],
)
def test_when_is_worded_from_the_patients_point_of_view(moment, reference, text):
    assert describe_when(local(NEW_YORK, *moment), local(NEW_YORK, *reference), NEW_YORK) == text
