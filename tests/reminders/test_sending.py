"""Sending reminders to a real (local) push service: once, recorded, retried, never lost."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from aftercare.models import Delivery, PushSubscription, Reminder, utcnow
from aftercare.reminders.push_subscriptions import make_sender
from aftercare.reminders.sender import send_due_reminders
from tests.reminders.conftest import add_reminder, subscribe


def deliveries(db, reminder):  # noqa: ANN001, ANN201
    return db.session.scalars(
        select(Delivery).where(Delivery.reminder_id == reminder.id).order_by(Delivery.id)
    ).all()


def test_a_due_reminder_is_encrypted_signed_and_delivered(push_app, db, patient, receiver):
    subscription = subscribe(db, patient, receiver)
    reminder = add_reminder(db, patient)

    summary = send_due_reminders()

    assert summary.delivered == 1
    [message] = receiver.wait_for(1)
    assert json.loads(message.payload) == {
        "title": "Appointment reminder",
        "body": "You have an appointment today at 3:00 PM.",
        "url": "/today",
        "tag": f"reminder-{reminder.id}",
    }
    assert message.topic == f"r{reminder.id}"
    assert message.urgency == "high"  # less than three hours before the appointment
    # The push service keeps it while the phone is off, until the appointment starts.
    assert 6000 < message.ttl <= 7200
    assert message.jwt_claims["aud"] == receiver.origin
    assert message.jwt_claims["sub"].startswith("mailto:")
    db.session.refresh(reminder)
    assert reminder.state == "delivered" and reminder.delivered_at is not None
    [delivery] = deliveries(db, reminder)
    assert (delivery.status_code, delivery.outcome, delivery.subscription_id) == (
        201,
        "delivered",
        subscription.id,
    )
    db.session.refresh(subscription)
    assert subscription.last_success_at is not None


def test_every_device_of_the_patient_gets_it(push_app, db, patient, receiver):
    phone, companion = subscribe(db, patient, receiver), subscribe(db, patient, receiver)
    add_reminder(db, patient)
    send_due_reminders()
    assert len(receiver.messages(phone.endpoint)) == 1
    assert len(receiver.messages(companion.endpoint)) == 1


def test_a_reminder_not_yet_due_is_not_sent(push_app, db, patient, receiver):
    subscribe(db, patient, receiver)
    reminder = add_reminder(db, patient, due=utcnow() + timedelta(minutes=5))
    assert send_due_reminders().claimed == 0
    assert receiver.attempts() == []
    db.session.refresh(reminder)
    assert reminder.state == "pending"


def test_gone_subscriptions_are_removed(push_app, db, patient, receiver):
    for status in (410, 404):
        subscription = subscribe(db, patient, receiver)
        receiver.script(subscription.endpoint, [status])
        reminder = add_reminder(db, patient)
        send_due_reminders()
        db.session.refresh(subscription)
        db.session.refresh(reminder)
        assert subscription.disabled_at is not None
        assert str(status) in subscription.disabled_reason
        assert reminder.state == "failed"
        assert [d.outcome for d in deliveries(db, reminder)] == ["gone"]


def test_a_503_then_201_delivers_exactly_once(push_app, db, patient, receiver):
    subscription = subscribe(db, patient, receiver)
    receiver.script(subscription.endpoint, [503, 201])
    reminder = add_reminder(db, patient)

    first = send_due_reminders()
    assert (first.retrying, first.delivered) == (1, 0)
    db.session.refresh(reminder)
    assert reminder.state == "pending" and reminder.attempts == 1
    assert "503" in reminder.last_error
    retry_at = reminder.next_attempt_at
    assert timedelta(seconds=25) < retry_at - utcnow() <= timedelta(seconds=31)
    # Not before its time...
    assert send_due_reminders().claimed == 0
    # ...and then once.
    send_due_reminders(now=retry_at + timedelta(seconds=1))
    db.session.refresh(reminder)
    assert reminder.state == "delivered"
    assert len(receiver.messages(subscription.endpoint)) == 1
    assert [(d.status_code, d.outcome, d.attempt) for d in deliveries(db, reminder)] == [
        (503, "retry", 1),
        (201, "delivered", 2),
    ]


def test_retry_after_is_honoured(push_app, db, patient, receiver):
    subscription = subscribe(db, patient, receiver)
    receiver.script(subscription.endpoint, [{"status": 429, "retry_after": 600}])
    reminder = add_reminder(db, patient)
    send_due_reminders()
    db.session.refresh(reminder)
    wait = reminder.next_attempt_at - utcnow()
    assert timedelta(seconds=590) < wait <= timedelta(seconds=600)
    assert deliveries(db, reminder)[0].status_code == 429


def test_backoff_grows_and_stops_at_the_deadline(push_app, db, patient, receiver):
    subscription = subscribe(db, patient, receiver)
    receiver.script(subscription.endpoint, [503] * 20)
    now = utcnow()
    reminder = add_reminder(db, patient, due=now, expires=now + timedelta(minutes=5))
    waits = []
    for _ in range(6):
        send_due_reminders(now=now)
        db.session.refresh(reminder)
        if reminder.state != "pending":
            break
        waits.append(reminder.next_attempt_at - now)
        now = reminder.next_attempt_at
    assert waits[:3] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    # The appointment starts five minutes after the first try: no point in trying after.
    assert reminder.state == "failed"
    assert reminder.finished_at <= reminder.expires_at


def test_a_push_service_that_hangs_times_out_and_is_retried(push_app, db, patient, receiver):
    push_app.config["PUSH_TIMEOUT_SECONDS"] = 1
    subscription = subscribe(db, patient, receiver)
    receiver.script(subscription.endpoint, ["hang"])
    reminder = add_reminder(db, patient)
    send_due_reminders()
    db.session.refresh(reminder)
    assert reminder.state == "pending"
    [delivery] = deliveries(db, reminder)
    assert delivery.outcome == "retry" and delivery.status_code is None
    assert "timed out" in delivery.error


def test_one_slow_push_service_does_not_hold_up_the_others(
    push_app, db, patient, second_patient, receiver
):
    push_app.config["PUSH_TIMEOUT_SECONDS"] = 2
    slow = subscribe(db, patient, receiver)
    receiver.script(slow.endpoint, ["hang"])
    fast = subscribe(db, second_patient, receiver)
    add_reminder(db, patient)
    add_reminder(db, second_patient)
    send_due_reminders()
    [message] = receiver.messages(fast.endpoint)
    slow_attempt = [a for a in receiver.attempts(slow.endpoint)]
    assert slow_attempt  # it was tried, in parallel
    assert message.at - min(at for _, at in receiver.attempts()) < 1.0


def test_reminders_missed_while_the_scheduler_was_down_are_sent_if_still_useful(
    push_app, db, patient, receiver
):
    subscribe(db, patient, receiver)
    now = utcnow()
    # Due three hours ago, appointment still an hour ahead: still worth sending.
    useful = add_reminder(
        db, patient, due=now - timedelta(hours=3), expires=now + timedelta(hours=1)
    )
    # Due yesterday for an appointment that already began: expired, not sent.
    stale = add_reminder(
        db, patient, due=now - timedelta(hours=26), expires=now - timedelta(hours=2)
    )

    summary = send_due_reminders()

    db.session.refresh(useful)
    db.session.refresh(stale)
    assert useful.state == "delivered"
    assert stale.state == "expired" and not deliveries(db, stale)
    assert summary.expired == 1
    assert [json.loads(m.payload)["tag"] for m in receiver.messages()] == [f"reminder-{useful.id}"]


def test_a_patient_with_no_working_device_is_visible_and_tried_again(push_app, db, patient):
    reminder = add_reminder(db, patient)
    send_due_reminders()
    db.session.refresh(reminder)
    assert reminder.state == "pending"
    assert reminder.last_error == "No device has reminders turned on."
    assert reminder.next_attempt_at > utcnow() + timedelta(minutes=14)


def test_the_vapid_token_is_signed_once_per_push_service(
    push_app, db, patient, second_patient, receiver
):
    for person in (patient, second_patient):
        subscribe(db, person, receiver)
        for _ in range(5):
            add_reminder(db, person)
    sender = make_sender(push_app)
    before = sender.tokens.signed
    send_due_reminders(sender=sender)
    assert len(receiver.messages()) == 10
    assert sender.tokens.signed - before <= 1
    tokens = {m.jwt_claims["exp"] for m in receiver.messages()}
    assert len(tokens) == 1
    assert max(tokens) - utcnow().timestamp() <= 24 * 3600


def test_a_sender_that_died_mid_send_leaves_its_claims_to_be_retried_after_the_lease(
    push_app, db, patient, receiver
):
    from aftercare.reminders.sender import claim_due

    subscribe(db, patient, receiver)
    reminder = add_reminder(db, patient)
    now = utcnow()
    # Another sender claimed it and then died (nothing was recorded).
    assert claim_due(now, 10, timedelta(seconds=120), worker="dead-sender") == [reminder.id]
    assert send_due_reminders(now=now + timedelta(seconds=60)).claimed == 0  # lease still held
    summary = send_due_reminders(now=now + timedelta(seconds=121))
    assert summary.delivered == 1
    db.session.refresh(reminder)
    assert reminder.claims == 2 and reminder.attempts == 1  # visible: may have arrived twice


def test_a_broken_subscription_does_not_stop_the_others(
    push_app, db, patient, second_patient, receiver
):
    broken = subscribe(db, patient, receiver)
    broken.p256dh = "AAAA"
    db.session.commit()
    good = subscribe(db, second_patient, receiver)
    add_reminder(db, patient)
    add_reminder(db, second_patient)
    send_due_reminders()
    assert len(receiver.messages(good.endpoint)) == 1
    outcomes = {d.subscription_id: d.outcome for d in db.session.scalars(select(Delivery))}
    assert outcomes == {broken.id: "failed", good.id: "delivered"}
    assert db.session.get(PushSubscription, good.id).is_active


def test_a_claim_takes_at_most_its_limit_oldest_first(push_app, db, patient):
    from aftercare.reminders.sender import claim_due

    now = utcnow()
    reminders = [add_reminder(db, patient, due=now - timedelta(minutes=60 - n)) for n in range(30)]
    first = claim_due(now, 10, timedelta(seconds=120), worker="one")
    second = claim_due(now, 10, timedelta(seconds=120), worker="two")
    assert first == [r.id for r in reminders[:10]]
    assert sorted(second) == [r.id for r in reminders[10:20]]
    states = Counter(db.session.scalars(select(Reminder.state)))
    assert states == {"sending": 20, "pending": 10}
