"""A pass that reaches its time limit while emails are still going out: every email the mail
server took is on record, so none goes twice when the reminder is claimed again.

The mail server is slow on purpose (tests/mail_server.py), and the lease short, so that the
pass must stop with emails unanswered; later passes run on a clock moved past the lease.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from aftercare.models import Delivery, Reminder, utcnow
from aftercare.reminders.sender import send_due_reminders
from tests.conftest import add_patient
from tests.reminders.conftest import add_email, add_reminder, subscribe
from tests.reminders.test_processes import states

# The pass stops claiming after half a lease and waits for answers until three quarters of one.
LEASE_S = 2
AFTER_THE_LEASE = timedelta(seconds=LEASE_S + 1)
MAX_PASSES = 10


def deliveries(db) -> Counter[tuple[str, str]]:  # noqa: ANN001
    """How many Delivery rows of each (channel, outcome)."""
    return Counter(
        tuple(row) for row in db.session.execute(select(Delivery.channel, Delivery.outcome))
    )


def test_emails_taken_before_the_pass_stopped_are_not_sent_again(
    email_app, db, clinic, mail_server
):
    email_app.config["PUSH_LEASE_SECONDS"] = LEASE_S
    addresses = []
    for n in range(24):
        patient = add_patient(db, clinic, f"Patient {n}")
        addresses.append(add_email(db, patient, f"patient{n}@example.org").address)
        add_reminder(db, patient)
    # Four SMTP connections at half a second a message: six seconds for the 24, four times
    # what the pass waits.
    mail_server.delay = 0.5
    now = utcnow()

    first = send_due_reminders(now=now)

    assert first.abandoned, "the pass was meant to stop with emails still out"
    taken = len(mail_server.messages())
    assert 0 < taken < 24
    # Each email the server took is recorded as delivered, and its reminder with it.
    assert deliveries(db) == {("email", "delivered"): taken}
    assert states(db).get("delivered") == taken

    for n in range(1, MAX_PASSES + 1):
        if states(db) == {"delivered": 24}:
            break
        send_due_reminders(now=now + n * AFTER_THE_LEASE)

    assert states(db) == {"delivered": 24}
    received = Counter(to for message in mail_server.messages() for to in message.rcpt_tos)
    assert received == {address: 1 for address in addresses}
    assert deliveries(db) == {("email", "delivered"): 24}
    # An email never handed to the server was given back, not left to a lease: no reminder
    # was claimed twice.
    assert db.session.scalar(select(func.max(Reminder.claims))) == 1


def test_a_push_cut_off_by_the_time_limit_goes_again_but_its_email_does_not(
    email_app, db, patient, receiver, mail_server
):
    email_app.config["PUSH_LEASE_SECONDS"] = LEASE_S
    subscription = subscribe(db, patient, receiver)
    # The push service hangs past the pass's time limit (the push timeout is two seconds).
    receiver.script(subscription.endpoint, ["hang"])
    add_email(db, patient, always=True)
    reminder = add_reminder(db, patient)
    now = utcnow()

    first = send_due_reminders(now=now)

    assert first.abandoned
    assert len(mail_server.messages()) == 1
    # The email is on record; the push is not, and its reminder waits for its lease, as a
    # push cut off always has.
    assert deliveries(db) == {("email", "delivered"): 1}
    assert states(db) == {"sending": 1}

    second = send_due_reminders(now=now + AFTER_THE_LEASE)

    assert (second.pushes, second.emails, second.delivered) == (1, 0, 1)
    assert len(receiver.messages()) == 1
    assert len(mail_server.messages()) == 1
    assert deliveries(db) == {("email", "delivered"): 1, ("push", "delivered"): 1}
    db.session.expire_all()
    assert db.session.get(Reminder, reminder.id).state == "delivered"
