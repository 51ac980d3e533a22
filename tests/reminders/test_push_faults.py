"""Push services that hang, or ask to be left alone for a while (429 and 503 with Retry-After).

What `test_sending.py` already covers is not repeated here: a hanging service times out and is
retried; one hanging service does not hold up another in the same batch; 429's Retry-After
sets the next attempt.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from aftercare.models import Delivery, utcnow
from aftercare.reminders.push_transport import retry_after_seconds
from aftercare.reminders.sender import send_due_reminders
from tests.conftest import add_patient
from tests.reminders.conftest import add_reminder, subscribe


def test_a_hanging_push_service_holds_up_no_reminder_in_later_batches(
    push_app, db, clinic, receiver
):
    timeout = 3
    push_app.config.update(PUSH_TIMEOUT_SECONDS=timeout, PUSH_BATCH_SIZE=10)
    patients = [add_patient(db, clinic, f"Patient {n}") for n in range(30)]
    subscriptions = [subscribe(db, patient, receiver) for patient in patients]
    receiver.script(subscriptions[0].endpoint, ["hang"])  # in the first batch of ten
    for patient in patients:
        add_reminder(db, patient)

    send_due_reminders()

    received = receiver.messages()
    assert len(received) == 29
    first_try = min(at for _, at in receiver.attempts())
    # The 29 others arrive well before the hanging one's request times out.
    assert max(message.at for message in received) - first_try < timeout / 2


@pytest.mark.parametrize("status", [429, 503])
def test_a_push_service_that_asks_to_wait_is_tried_again_no_earlier_than_it_asked(
    push_app, db, patient, receiver, status
):
    subscription = subscribe(db, patient, receiver)
    # Longer than the first backoff (30 s), so the wait can only come from the header.
    receiver.script(subscription.endpoint, [{"status": status, "retry_after": 120}])
    reminder = add_reminder(db, patient)
    now = utcnow()

    first = send_due_reminders(now=now)

    assert (first.retrying, first.delivered) == (1, 0)
    for early in (timedelta(seconds=31), timedelta(seconds=119)):
        assert send_due_reminders(now=now + early).claimed == 0
    assert len(receiver.attempts(subscription.endpoint)) == 1
    assert send_due_reminders(now=now + timedelta(seconds=121)).delivered == 1
    assert len(receiver.messages(subscription.endpoint)) == 1
    attempts = db.session.execute(
        select(Delivery.status_code, Delivery.outcome)
        .where(Delivery.reminder_id == reminder.id)
        .order_by(Delivery.id)
    ).all()
    assert [tuple(row) for row in attempts] == [(status, "retry"), (201, "delivered")]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("Thu, 01 Jan 2026 00:02:00 GMT", 120.0),  # an HTTP date, two minutes after `now`
        ("Wed, 31 Dec 2025 23:00:00 GMT", 0.0),  # a date already past: no wait
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header, seconds):
    now = 1767225600.0  # 2026-01-01 00:00:00 UTC
    assert retry_after_seconds(header, now=now) == seconds
