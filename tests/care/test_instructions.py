"""Timed instructions: real hours from the end of the infusion, shown in the clinic's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aftercare.care.content import DEFAULT_CONTENT
from aftercare.care.instructions import timed_instructions

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def instructions_for(ended_local: datetime, now_local: datetime | None = None, **windows: int):
    merged = {**DEFAULT_CONTENT["windows"], **windows}
    now = (now_local or ended_local).astimezone(UTC)
    return {
        item.key: item
        for item in timed_instructions(
            ended_local.astimezone(UTC), now, ended_local.tzinfo, merged, DEFAULT_CONTENT["timed"]
        )
    }


@pytest.mark.parametrize(
    ("ended_local", "key", "expected_text"),
    [
        # An ordinary day: 24 hours later is the same clock time the next day.
        (datetime(2026, 11, 19, 15, 0, tzinfo=NEW_YORK), "driving", "until tomorrow at 3 PM"),
        # Clocks go forward on Sunday 8 March 2026 at 2 AM: 24 real hours after 3 PM on
        # Saturday is 4 PM on Sunday by the clock.
        (datetime(2026, 3, 7, 15, 0, tzinfo=NEW_YORK), "driving", "until tomorrow at 4 PM"),
        # Clocks go back on Sunday 1 November 2026 at 2 AM: 24 real hours after 3 PM on
        # Saturday is 2 PM on Sunday by the clock.
        (datetime(2026, 10, 31, 15, 0, tzinfo=NEW_YORK), "driving", "until tomorrow at 2 PM"),
        # A 4-hour window that crosses the spring-forward gap at 2 AM.
        (datetime(2026, 3, 8, 0, 30, tzinfo=NEW_YORK), "sedatives", "until today at 5:30 AM"),
        # A 12-hour window across the fall-back hour.
        (datetime(2026, 10, 31, 20, 0, tzinfo=NEW_YORK), "companion", "until tomorrow at 7 AM"),
        # The same rule in another zone, on its own change date (UK: 29 March 2026).
        (datetime(2026, 3, 28, 15, 0, tzinfo=LONDON), "alcohol", "until tomorrow at 4 PM"),
    ],
)
def test_windows_are_real_hours_across_daylight_saving_changes(ended_local, key, expected_text):
    item = instructions_for(ended_local)[key]
    assert expected_text in item.text
    hours = DEFAULT_CONTENT["windows"][key]
    # Subtract in UTC: Python subtracts wall-clock times when both share a tzinfo.
    assert item.until.astimezone(UTC) - ended_local.astimezone(UTC) == timedelta(hours=hours)
    assert item.until.tzinfo == ended_local.tzinfo


def test_every_instruction_is_given_in_reading_order():
    items = instructions_for(datetime(2026, 11, 19, 15, 0, tzinfo=NEW_YORK))
    assert list(items) == ["driving", "decisions", "alcohol", "sedatives", "companion"]
    assert items["driving"].text == (
        "Do not drive, ride a bike or use machinery until tomorrow at 3 PM, "
        "and only after a night's sleep."
    )
    assert items["companion"].text == "Someone should stay with you until tomorrow at 3 AM."


def test_an_instruction_is_over_from_the_moment_its_window_ends():
    ended = datetime(2026, 11, 19, 15, 0, tzinfo=NEW_YORK)
    just_before = instructions_for(ended, ended + timedelta(hours=4) - timedelta(seconds=1))
    at_the_end = instructions_for(ended, ended + timedelta(hours=4))
    assert not just_before["sedatives"].is_over
    assert at_the_end["sedatives"].is_over
    assert not at_the_end["driving"].is_over


def test_a_clinic_can_shorten_a_window():
    items = instructions_for(datetime(2026, 11, 19, 15, 0, tzinfo=NEW_YORK), driving=12)
    assert "until tomorrow at 3 AM" in items["driving"].text


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="aware"):
        timed_instructions(
            datetime(2026, 1, 1, 12),
            datetime.now(UTC),
            NEW_YORK,
            DEFAULT_CONTENT["windows"],
            DEFAULT_CONTENT["timed"],
        )


def test_each_instruction_carries_how_it_will_read_on_the_next_days():
    # Ends Friday 3 PM; read on Thursday. A copy kept on the phone switches at each midnight.
    driving = instructions_for(datetime(2026, 11, 19, 15, 0, tzinfo=NEW_YORK))["driving"]
    assert "until tomorrow at 3 PM" in driving.text
    assert [(w.starts.astimezone(NEW_YORK).isoformat(), w.text) for w in driving.later] == [
        ("2026-11-20T00:00:00-05:00", driving.text.replace("tomorrow", "today")),
        ("2026-11-21T00:00:00-05:00", driving.text.replace("tomorrow", "yesterday")),
        ("2026-11-22T00:00:00-05:00", driving.text.replace("tomorrow", "Friday")),
    ]


def test_instructions_are_worded_in_the_patients_language():
    ended = datetime(2026, 11, 19, 15, 0, tzinfo=NEW_YORK)
    # The content comes already in the patient's language; the moment's words are translated.
    texts = {**DEFAULT_CONTENT["timed"], "alcohol": "No tome alcohol hasta {until}."}
    spanish = {"tomorrow {at}": "mañana {at}", "at {time}": "a las {time}"}
    [alcohol] = [
        item
        for item in timed_instructions(
            ended.astimezone(UTC),
            ended.astimezone(UTC),
            NEW_YORK,
            DEFAULT_CONTENT["windows"],
            texts,
            "es",
            lambda text: spanish.get(text, text),
        )
        if item.key == "alcohol"
    ]
    # The time ends the sentence and ends in a full stop: no second one.
    assert alcohol.text == "No tome alcohol hasta mañana a las 3 p.\u202fm."


@pytest.mark.parametrize(
    ("window_over", "answers", "ready"),
    [
        (False, [(True, 0, 0)], False),  # slept and clear, but the clinic's window is not over
        (True, [], False),  # the clock alone is not enough
        (True, [(None, 0, 0)], False),  # no word about sleep
        (True, [(False, 0, 0)], False),  # did not sleep
        (True, [(True, 1, 0)], False),  # still feels detached
        (True, [(True, 0, 1)], False),  # still confused
        (True, [(False, 0, 0), (True, 0, 0)], True),  # a later check-in says slept and clear
    ],
)
def test_driving_waits_for_a_nights_sleep_and_a_clear_head(window_over, answers, ready):
    from aftercare.care.instructions import MorningAnswers, ready_to_drive

    assert ready_to_drive(window_over, [MorningAnswers(*a) for a in answers]) is ready
