"""Which due reminders go out now, together, and which wait: the sending rules as a table."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from aftercare.care.content import DEFAULT_CONTENT
from aftercare.care.quiet_hours import QuietHours
from aftercare.care.reminder_sending import (
    DueReminder,
    Message,
    SendingPlan,
    held_until,
    joining_window,
    plan_sending,
    together_words,
)

NEW_YORK = ZoneInfo("America/New_York")
NIGHT = QuietHours(21, 8)
ALEX, BLAIR = 1, 2


def at(*clock: int, day: int = 19, month: int = 11) -> datetime:
    """A moment on the clinic's clock (New York), in UTC."""
    return datetime(2026, month, day, *clock, tzinfo=NEW_YORK).astimezone(UTC)


def due(
    id: int,  # noqa: A002
    kind: str,
    when: datetime,
    patient: int = ALEX,
    appointment: datetime | None = None,
) -> DueReminder:
    return DueReminder(id, patient, kind, when, appointment)


def one(id: int, patient: int = ALEX) -> Message:  # noqa: A002
    return Message((id,), patient, "one")


PCL5, PHQ9, GAD7 = "questionnaire_pcl5", "questionnaire_phq9", "questionnaire_gad7"
TEN = at(10, 0)

# (id, reminders, now, the plan)
CASES = [
    (
        "three questionnaires due together: one message",
        [due(1, PCL5, TEN), due(2, PHQ9, TEN), due(3, GAD7, TEN)],
        at(10, 0, 5),
        SendingPlan([Message((1, 2, 3), ALEX, "questionnaires")], {}),
    ),
    (
        "one questionnaire alone: its own message",
        [due(1, PCL5, TEN)],
        at(10, 0, 5),
        SendingPlan([one(1)], {}),
    ),
    (
        "a questionnaire due 59 minutes later goes early, with the first",
        [due(1, PCL5, TEN), due(2, PHQ9, at(10, 59))],
        at(10, 0, 5),
        SendingPlan([Message((1, 2), ALEX, "questionnaires")], {}),
    ),
    (
        "one due an hour later waits for its own time",
        [due(1, PCL5, TEN), due(2, PHQ9, at(11, 0))],
        at(10, 0, 5),
        SendingPlan([one(1)], {2: at(11, 0)}),
    ),
    (
        "the hour counts from the first one's due time, not from a late tick",
        [due(1, "checkin_morning", at(9, 0)), due(2, PCL5, TEN)],
        at(9, 0, 40),
        SendingPlan([one(1)], {2: TEN}),
    ),
    (
        "a check-in prompt and questionnaires due together: one counted message",
        [due(1, "checkin_morning", TEN), due(2, PCL5, TEN), due(3, PHQ9, TEN)],
        at(10, 0, 5),
        SendingPlan([Message((1, 2, 3), ALEX, "several")], {}),
    ),
    (
        "a check-in prompt never goes early: it is timed from the infusion",
        [due(1, PCL5, TEN), due(2, "checkin_evening", at(10, 30))],
        at(10, 0, 5),
        SendingPlan([one(1)], {2: at(10, 30)}),
    ),
    (
        "an appointment reminder goes alone, beside the questionnaires",
        [
            due(1, "before_24h", TEN, appointment=at(10, 0, day=20)),
            due(2, PCL5, TEN),
            due(3, PHQ9, TEN),
        ],
        at(10, 0, 5),
        SendingPlan([one(1), Message((2, 3), ALEX, "questionnaires")], {}),
    ),
    (
        "a ride-home reminder goes alone too",
        [due(1, "arrange_driver", TEN, appointment=at(10, 0, day=20)), due(2, PCL5, TEN)],
        at(10, 0, 5),
        SendingPlan([one(1), one(2)], {}),
    ),
    (
        "an appointment reminder takes no questionnaire early",
        [due(1, "before_2h", TEN, appointment=at(12, 0)), due(2, PCL5, at(10, 30))],
        at(10, 0, 5),
        SendingPlan([one(1)], {2: at(10, 30)}),
    ),
    (
        "two patients: a message each",
        [due(1, PCL5, TEN), due(2, PCL5, TEN, BLAIR), due(3, PHQ9, TEN), due(4, PHQ9, TEN, BLAIR)],
        at(10, 0, 5),
        SendingPlan(
            [Message((1, 3), ALEX, "questionnaires"), Message((2, 4), BLAIR, "questionnaires")],
            {},
        ),
    ),
    (
        "a retry due now goes with what falls due now",
        [due(1, PCL5, at(9, 58)), due(2, PHQ9, TEN)],
        at(10, 0, 5),
        SendingPlan([Message((1, 2), ALEX, "questionnaires")], {}),
    ),
    (
        "quiet hours: due at 11 PM, it waits until 8 AM",
        [due(1, PCL5, at(23, 0))],
        at(23, 0, 5),
        SendingPlan([], {1: at(8, 0, day=20)}),
    ),
    (
        "quiet hours: due at 3 AM, it waits until 8 AM that morning",
        [due(1, "before_24h", at(3, 0), appointment=at(3, 0, day=20))],
        at(3, 0, 5),
        SendingPlan([], {1: at(8, 0)}),
    ),
    (
        "quiet hours: an appointment at 00:30 is within two hours, so its reminder goes",
        [due(1, "before_2h", at(22, 30), appointment=at(0, 30, day=20)), due(2, PCL5, at(22, 30))],
        at(23, 0),
        SendingPlan([one(1)], {2: at(8, 0, day=20)}),
    ),
    (
        "quiet hours: an appointment exactly two hours away is within two hours",
        [due(1, "before_2h", at(22, 0), appointment=at(0, 0, day=20))],
        at(22, 0),
        SendingPlan([one(1)], {}),
    ),
    (
        "quiet hours: an appointment at 7:30 AM lets its reminder go at 5:30, not at 8",
        [due(1, "before_6h", at(1, 30, day=20), appointment=at(7, 30, day=20))],
        at(1, 30, day=20),
        SendingPlan([], {1: at(5, 30, day=20)}),
    ),
    (
        "quiet hours end: everything held goes, together",
        [due(1, PCL5, at(8, 0)), due(2, PHQ9, at(8, 0)), due(3, "checkin_morning", at(9, 0))],
        at(8, 0, 5),
        SendingPlan([Message((1, 2), ALEX, "questionnaires")], {3: at(9, 0)}),
    ),
    (
        "quiet hours across the clocks going back: 8 AM EST, ten hours later",
        [due(1, PCL5, at(23, 0, month=10, day=31))],
        at(23, 0, month=10, day=31),
        SendingPlan([], {1: datetime(2026, 11, 1, 13, 0, tzinfo=UTC)}),
    ),
    (
        "quiet hours across the clocks going forward: 8 AM EDT, eight hours later",
        [due(1, PCL5, at(23, 0, month=3, day=7))],
        at(23, 0, month=3, day=7),
        SendingPlan([], {1: datetime(2026, 3, 8, 12, 0, tzinfo=UTC)}),
    ),
]


@pytest.mark.parametrize(
    ("reminders", "now", "plan"), [pytest.param(*case[1:], id=case[0]) for case in CASES]
)
def test_reminders_go_out_as_the_table_says(reminders, now, plan):
    assert plan_sending(reminders, now, NEW_YORK, NIGHT) == plan


def test_a_clinic_with_other_quiet_hours_sends_at_11_pm():
    reminders = [due(1, PCL5, at(23, 0))]
    assert plan_sending(reminders, at(23, 0), NEW_YORK, QuietHours(23, 7)).later == {
        1: at(7, 0, day=20)
    }
    assert plan_sending(reminders, at(23, 0), NEW_YORK, QuietHours(0, 7)).messages == [one(1)]


def test_held_until_is_none_outside_quiet_hours():
    reminder = due(1, "before_24h", TEN, appointment=at(10, 0, day=20))
    assert held_until(reminder, TEN, NEW_YORK, NIGHT) is None


def test_the_joining_window_is_an_hour_from_each_patients_first_grouped_reminder():
    reminders = [
        due(1, "checkin_morning", at(9, 0)),
        due(2, PCL5, at(9, 30)),
        due(3, "before_2h", at(9, 0), BLAIR, appointment=at(11, 0)),
        due(4, PCL5, at(9, 50)),  # not due yet: it does not open a window
    ]
    assert joining_window(reminders, at(9, 40), NEW_YORK, NIGHT) == {ALEX: at(10, 0)}


def test_nothing_joins_a_reminder_held_by_quiet_hours():
    reminders = [due(1, PCL5, at(23, 0)), due(2, PHQ9, at(23, 30))]
    assert joining_window(reminders, at(23, 0), NEW_YORK, NIGHT) == {}


WORDS = DEFAULT_CONTENT["notifications"]


def test_a_message_for_several_reminders_is_counted_and_opens_today():
    questionnaires = together_words(Message((1, 2, 3), ALEX, "questionnaires"), WORDS)
    assert (questionnaires.title, questionnaires.body, questionnaires.url) == (
        "A few questions for your care team",
        "3 short questionnaires are ready. Tap to start.",
        "/today",
    )
    several = together_words(Message((1, 2), ALEX, "several"), WORDS)
    assert (several.title, several.body, several.url) == (
        "You have 2 reminders",
        "Tap to see what to do now.",
        "/today",
    )
