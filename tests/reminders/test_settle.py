"""Settling a reminder after a pass's pushes: every outcome, as a table. No app, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from aftercare.reminders.push_transport import PushResult
from aftercare.reminders.sender import NO_DEVICE_WAIT, Settled, settle
from aftercare.reminders.states import ReminderState

NOW = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
RETRY_FOR = timedelta(hours=6)
NO_DEVICE = "No device has reminders turned on."

DELIVERED = PushResult(201)
GONE = PushResult(410, error="HTTP 410: Gone")
NOT_FOUND = PushResult(404, error="HTTP 404: Not Found")
BUSY = PushResult(503, error="HTTP 503: Service Unavailable")
TOO_MANY = PushResult(429, retry_after=60, error="HTTP 429: Too Many Requests")
TOO_MANY_LONG = PushResult(429, retry_after=600, error="HTTP 429: Too Many Requests")
TIMED_OUT = PushResult(None, error="timed out")
REFUSED = PushResult(400, error="HTTP 400: Bad Request")
BROKEN_KEYS = PushResult(None, error="cannot prepare: ValueError: bad key", permanent=True)
BAD_ENDPOINT = PushResult(None, error="refused: not a push service", refused=True)
SILENT_FAILURE = PushResult(403)


@dataclass(frozen=True)
class Claimed:
    """A claimed reminder as the sender reads it."""

    attempts: int = 0
    due_at: datetime = NOW - timedelta(minutes=1)
    expires_at: datetime = NOW + timedelta(hours=24)
    delivered_at: datetime | None = None


def finished(state: ReminderState, last_error: str, **more: object) -> dict[str, object]:
    return {
        "lease_until": None,
        "state": state,
        "finished_at": NOW,
        "last_error": last_error,
        **more,
    }


def again_in(wait: timedelta, last_error: str, **more: object) -> dict[str, object]:
    return {
        "lease_until": None,
        "state": ReminderState.PENDING,
        "next_attempt_at": NOW + wait,
        "last_error": last_error,
        **more,
    }


# (id, the reminder, this pass's results, delivered before, has devices, what it settles to)
CASES = [
    (
        "delivered",
        Claimed(),
        [DELIVERED],
        False,
        True,
        Settled(finished(ReminderState.DELIVERED, "", delivered_at=NOW), True, False),
    ),
    (
        "delivered to one phone, gone from another",
        Claimed(),
        [GONE, DELIVERED],
        False,
        True,
        Settled(finished(ReminderState.DELIVERED, "", delivered_at=NOW), True, False),
    ),
    (
        "gone: the only subscription no longer exists",
        Claimed(),
        [GONE],
        False,
        True,
        Settled(finished(ReminderState.FAILED, "HTTP 410: Gone"), False, False),
    ),
    (
        "gone from every phone: the first error is kept",
        Claimed(),
        [NOT_FOUND, GONE],
        False,
        True,
        Settled(finished(ReminderState.FAILED, "HTTP 404: Not Found"), False, False),
    ),
    (
        "retry without Retry-After: the first backoff, 30 seconds",
        Claimed(),
        [BUSY],
        False,
        True,
        Settled(again_in(timedelta(seconds=30), "HTTP 503: Service Unavailable"), False, True),
    ),
    (
        "retry without Retry-After, fourth attempt: the backoff doubles to 4 minutes",
        Claimed(attempts=3),
        [TIMED_OUT],
        False,
        True,
        Settled(again_in(timedelta(minutes=4), "timed out"), False, True),
    ),
    (
        "retry after many attempts: the backoff stops at an hour",
        Claimed(attempts=20),
        [BUSY],
        False,
        True,
        Settled(again_in(timedelta(hours=1), "HTTP 503: Service Unavailable"), False, True),
    ),
    (
        "retry with a Retry-After shorter than the backoff: the backoff wins",
        Claimed(attempts=3),
        [TOO_MANY],
        False,
        True,
        Settled(again_in(timedelta(minutes=4), "HTTP 429: Too Many Requests"), False, True),
    ),
    (
        "retry with a Retry-After longer than the backoff: Retry-After wins",
        Claimed(),
        [TOO_MANY],
        False,
        True,
        Settled(again_in(timedelta(seconds=60), "HTTP 429: Too Many Requests"), False, True),
    ),
    (
        "retry on two phones: the longest Retry-After, the first phone's error",
        Claimed(),
        [BUSY, TOO_MANY_LONG],
        False,
        True,
        Settled(again_in(timedelta(minutes=10), "HTTP 503: Service Unavailable"), False, True),
    ),
    (
        "retry while another phone failed for good: tried again",
        Claimed(),
        [REFUSED, BUSY],
        False,
        True,
        Settled(again_in(timedelta(seconds=30), "HTTP 503: Service Unavailable"), False, True),
    ),
    (
        "retry while another phone got it: delivered now, the other tried again",
        Claimed(),
        [DELIVERED, BUSY],
        False,
        True,
        Settled(
            again_in(timedelta(seconds=30), "HTTP 503: Service Unavailable", delivered_at=NOW),
            True,
            True,
        ),
    ),
    (
        "retry past the deadline (retry hours after it fell due): failed",
        Claimed(due_at=NOW - RETRY_FOR + timedelta(seconds=10)),
        [BUSY],
        False,
        True,
        Settled(finished(ReminderState.FAILED, "HTTP 503: Service Unavailable"), False, False),
    ),
    (
        "retry due exactly at the deadline: failed",
        Claimed(due_at=NOW - RETRY_FOR + timedelta(seconds=30)),
        [BUSY],
        False,
        True,
        Settled(finished(ReminderState.FAILED, "HTTP 503: Service Unavailable"), False, False),
    ),
    (
        "retry just inside the deadline: tried again",
        Claimed(due_at=NOW - RETRY_FOR + timedelta(seconds=31)),
        [BUSY],
        False,
        True,
        Settled(again_in(timedelta(seconds=30), "HTTP 503: Service Unavailable"), False, True),
    ),
    (
        "Retry-After past the deadline: failed now, not later",
        Claimed(due_at=NOW - RETRY_FOR + timedelta(minutes=5)),
        [TOO_MANY_LONG],
        False,
        True,
        Settled(finished(ReminderState.FAILED, "HTTP 429: Too Many Requests"), False, False),
    ),
    (
        "retry past the appointment (expires_at before the deadline): failed",
        Claimed(expires_at=NOW + timedelta(seconds=10)),
        [BUSY],
        False,
        True,
        Settled(finished(ReminderState.FAILED, "HTTP 503: Service Unavailable"), False, False),
    ),
    (
        "retry past the appointment, delivered to a phone in an earlier pass: delivered",
        Claimed(expires_at=NOW + timedelta(seconds=10), delivered_at=NOW - timedelta(minutes=2)),
        [BUSY],
        True,
        True,
        Settled(finished(ReminderState.DELIVERED, "HTTP 503: Service Unavailable"), True, False),
    ),
    (
        "no devices: looked at again in 15 minutes",
        Claimed(),
        [],
        False,
        False,
        Settled(again_in(NO_DEVICE_WAIT, NO_DEVICE), False, True),
    ),
    (
        "no devices, past the deadline: failed, saying why",
        Claimed(due_at=NOW - RETRY_FOR + timedelta(minutes=10)),
        [],
        False,
        False,
        Settled(finished(ReminderState.FAILED, NO_DEVICE), False, False),
    ),
    (
        "no devices, past the appointment: failed",
        Claimed(expires_at=NOW + timedelta(minutes=10)),
        [],
        False,
        False,
        Settled(finished(ReminderState.FAILED, NO_DEVICE), False, False),
    ),
    (
        "no devices now, but delivered before: delivered",
        Claimed(delivered_at=NOW - timedelta(minutes=5)),
        [],
        True,
        False,
        Settled(finished(ReminderState.DELIVERED, ""), True, False),
    ),
    (
        "delivered before on another phone, nothing left to send: delivered",
        Claimed(attempts=1, delivered_at=NOW - timedelta(minutes=5)),
        [],
        True,
        True,
        Settled(finished(ReminderState.DELIVERED, ""), True, False),
    ),
    (
        "delivered before on another phone, failed on this one: delivered",
        Claimed(attempts=1, delivered_at=NOW - timedelta(minutes=5)),
        [REFUSED],
        True,
        True,
        Settled(finished(ReminderState.DELIVERED, ""), True, False),
    ),
    (
        "delivered before on another phone, with no time noted yet: noted now",
        Claimed(attempts=1),
        [GONE],
        True,
        True,
        Settled(finished(ReminderState.DELIVERED, "", delivered_at=NOW), True, False),
    ),
    (
        "failures with errors: failed, with the first error",
        Claimed(),
        [REFUSED, BROKEN_KEYS, BAD_ENDPOINT],
        False,
        True,
        Settled(finished(ReminderState.FAILED, "HTTP 400: Bad Request"), False, False),
    ),
    (
        "a failure without an error, then one with: the error is kept",
        Claimed(),
        [SILENT_FAILURE, BROKEN_KEYS],
        False,
        True,
        Settled(
            finished(ReminderState.FAILED, "cannot prepare: ValueError: bad key"), False, False
        ),
    ),
    (
        "failures without errors: failed, with no error to show",
        Claimed(),
        [SILENT_FAILURE],
        False,
        True,
        Settled(finished(ReminderState.FAILED, ""), False, False),
    ),
]


@pytest.mark.parametrize(
    ("reminder", "results", "delivered_before", "has_devices", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_a_reminder_settles_as_the_table_says(
    reminder: Claimed,
    results: list[PushResult],
    delivered_before: bool,
    has_devices: bool,
    expected: Settled,
) -> None:
    settled = settle(
        reminder,
        results,
        delivered_before=delivered_before,
        has_devices=has_devices,
        now=NOW,
        retry_for=RETRY_FOR,
    )
    assert settled == expected


def test_the_retry_window_is_the_callers_setting():
    """Hours of retrying come in as an argument: a longer window keeps it going."""
    reminder = Claimed(due_at=NOW - timedelta(hours=7))
    kept = settle(
        reminder,
        [BUSY],
        delivered_before=False,
        has_devices=True,
        now=NOW,
        retry_for=timedelta(hours=8),
    )
    over = settle(
        reminder,
        [BUSY],
        delivered_before=False,
        has_devices=True,
        now=NOW,
        retry_for=timedelta(hours=6),
    )
    assert (kept.retrying, kept.values["state"]) == (True, "pending")
    assert (over.retrying, over.values["state"]) == (False, "failed")


def test_the_states_it_writes_are_the_stored_strings():
    settled = settle(
        Claimed(),
        [DELIVERED],
        delivered_before=False,
        has_devices=True,
        now=NOW,
        retry_for=RETRY_FOR,
    )
    assert settled.values["state"] == "delivered"
    assert type(settled.values["state"]) is ReminderState


# The clinic's quiet hours ended an hour ago, at 8 AM on its clock: the retry window counts
# from then at the earliest.
MORNING = NOW - timedelta(hours=1)
HELD_ALL_NIGHT = Claimed(due_at=MORNING - timedelta(hours=9))  # due at 11 PM

# (id, the reminder, this pass's results, has devices, when quiet hours last ended, settled)
QUIET_CASES = [
    (
        "held all night, a 503 in the morning: retried, the window counts from 8 AM",
        HELD_ALL_NIGHT,
        [BUSY],
        True,
        MORNING,
        Settled(again_in(timedelta(seconds=30), "HTTP 503: Service Unavailable"), False, True),
    ),
    (
        "the same without quiet hours: past its window, failed",
        HELD_ALL_NIGHT,
        [BUSY],
        True,
        None,
        Settled(finished(ReminderState.FAILED, "HTTP 503: Service Unavailable"), False, False),
    ),
    (
        "held all night, no device in the morning: looked at again in 15 minutes",
        HELD_ALL_NIGHT,
        [],
        False,
        MORNING,
        Settled(again_in(NO_DEVICE_WAIT, NO_DEVICE), False, True),
    ),
    (
        "held all night, delivered in the morning",
        HELD_ALL_NIGHT,
        [DELIVERED],
        True,
        MORNING,
        Settled(finished(ReminderState.DELIVERED, "", delivered_at=NOW), True, False),
    ),
    (
        "due after quiet hours ended: its own due time counts",
        Claimed(due_at=NOW - RETRY_FOR + timedelta(seconds=10)),
        [BUSY],
        True,
        NOW - RETRY_FOR - timedelta(hours=1),
        Settled(finished(ReminderState.FAILED, "HTTP 503: Service Unavailable"), False, False),
    ),
    (
        "a new window never goes past the appointment",
        Claimed(due_at=MORNING - timedelta(hours=9), expires_at=NOW + timedelta(seconds=10)),
        [BUSY],
        True,
        MORNING,
        Settled(finished(ReminderState.FAILED, "HTTP 503: Service Unavailable"), False, False),
    ),
]


@pytest.mark.parametrize(
    ("reminder", "results", "has_devices", "retry_from", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in QUIET_CASES],
)
def test_a_night_in_quiet_hours_does_not_use_up_the_retry_window(
    reminder: Claimed,
    results: list[PushResult],
    has_devices: bool,
    retry_from: datetime | None,
    expected: Settled,
) -> None:
    settled = settle(
        reminder,
        results,
        delivered_before=False,
        has_devices=has_devices,
        now=NOW,
        retry_for=RETRY_FOR,
        retry_from=retry_from,
    )
    assert settled == expected
