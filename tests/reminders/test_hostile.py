"""No subscription can stall reminders: whatever one endpoint does, every other reminder goes
out in the same pass, the bad one is recorded with its reason, and the next tick runs on time.

These run the real scheduler: `aftercare scheduler` in its own process, or the scheduler that
`aftercare run` starts beside the web server.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections import Counter
from datetime import timedelta

from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from aftercare.models import Delivery, Patient, PushSubscription, Reminder, utcnow
from bench.reminded import add_reminded_patients
from tests.conftest import add_patient
from tests.push_receiver import b64url_encode
from tests.reminders.conftest import (
    add_device,
    add_reminder,
    allow_services,
    scheduler_running,
    subscribe,
    use_hosts,
    wait_until,
)
from tests.reminders.test_processes import AFTERCARE, environment, states

# What the scheduler logs when a pass outlives its lease (reminders/scheduler.py). A tick skipped
# because the pass before it is still busy is no sign of a stall on a loaded machine: the
# reminder that falls due later, and is delivered, is what shows that nothing is stuck.
STUCK = "a pass is stuck"


def hostile_subscription(db, patient: Patient, endpoint: str) -> PushSubscription:  # noqa: ANN001
    """A subscription row with this endpoint, as an older version stored it without checks,
    with well-formed keys (so that only the endpoint is wrong)."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    subscription = PushSubscription(
        patient_id=patient.id,
        device_id=add_device(db, patient).id,
        endpoint=endpoint,
        p256dh=b64url_encode(point),
        auth=b64url_encode(os.urandom(16)),
    )
    db.session.add(subscription)
    db.session.commit()
    return subscription


def outcome_of(db, reminder_id: int) -> tuple[str, str, str]:  # noqa: ANN001
    """The reminder's state, and its one delivery attempt's outcome and error."""
    db.session.expire_all()
    state = db.session.scalar(select(Reminder.state).where(Reminder.id == reminder_id))
    [(outcome, error)] = db.session.execute(
        select(Delivery.outcome, Delivery.error).where(Delivery.reminder_id == reminder_id)
    ).all()
    return state, outcome, error


def test_the_endpoints_that_stalled_the_scheduler_stall_nothing(push_app, db, clinic, receiver):
    """Finding 1: `https://[::1]:18443/v6` made py_vapid raise outside the sender's error
    handling; the pass never ended and every later tick was skipped."""
    hostile = {
        "https://[::1]:18443/v6": "VapidException",  # passes the loopback setting; py_vapid raises
        "https://push.invalid:x/v": "port",
        "https://u:p@push.invalid/x": "user name",
    }
    bad = {}
    for n, (endpoint, reason) in enumerate(hostile.items()):
        patient = add_patient(db, clinic, f"Hostile {n}")
        hostile_subscription(db, patient, endpoint)
        bad[add_reminder(db, patient).id] = reason
    good = []
    for n in range(20):
        patient = add_patient(db, clinic, f"Patient {n}")
        subscribe(db, patient, receiver)
        good.append((patient, add_reminder(db, patient).id))

    env = environment(push_app, AFTERCARE_SCHEDULER_INTERVAL_SECONDS="1")
    scheduler = subprocess.Popen(
        [str(AFTERCARE), "scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(scheduler.stderr), daemon=True)
    reader.start()
    try:
        receiver.wait_for(20, timeout=60)
        # A reminder that falls due later goes out on a later tick: nothing is stuck.
        later = add_reminder(db, good[0][0]).id
        receiver.wait_for(21, timeout=30)
        wait_until(lambda: states(db).get("delivered") == 21, 30, "the deliveries recorded")
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
        reader.join(timeout=10)

    assert Counter(m.topic for m in receiver.messages()) == {
        f"r{id_}": 1 for id_ in [*(r for _, r in good), later]
    }
    for reminder_id, reason in bad.items():
        state, outcome, error = outcome_of(db, reminder_id)
        assert (state, outcome) == ("failed", "failed"), error
        assert reason in error
    assert not [line for line in errors if STUCK in line], errors


def test_a_pass_with_a_thousand_good_subscriptions_and_every_hostile_kind(
    push_app, db, clinic, receiver
):
    # A loaded machine is slow, not hostile: only the service that hangs may time out, and the
    # pass (pushes and that timeout) must still end before the next tick.
    interval = 30
    push_app.config["SCHEDULER_INTERVAL_SECONDS"] = interval
    push_app.config["PUSH_TIMEOUT_SECONDS"] = 10
    allow_services(push_app, "push.example.test")
    use_hosts(push_app, {"push.example.test": ["10.1.2.3"]})

    good_endpoints = [receiver.new_subscription() for _ in range(1000)]
    due = utcnow() - timedelta(minutes=1)
    good_patients = add_reminded_patients(clinic.id, good_endpoints, due_at=due, name="Patient")
    db.session.commit()
    hanging = add_patient(db, clinic, "Hangs")
    receiver.script(subscribe(db, hanging, receiver).endpoint, ["hang"])
    hostile = {
        "https://10.0.0.1/push/a": "not an IP address",
        "https://0x7f000001/push/b": "not an IP address",
        "https://169.254.169.254/latest/meta-data/": "not an IP address",
        "https://push.example.test/push/c": "10.1.2.3, which is not a public address",
        "https://u:p@fcm.googleapis.com/push/d": "must not carry a user name",
        "https://fcm.googleapis.com:8443/push/e": "port must be 443",
        "https://push.invalid:x/push/f": "port is not a number",
        f"http://[::1]:{receiver.port}/push/g": "cannot prepare: VapidException",
    }
    bad: dict[int, tuple[str, int]] = {}
    for n, (endpoint, reason) in enumerate(hostile.items()):
        patient = add_patient(db, clinic, f"Hostile {n}")
        subscription = hostile_subscription(db, patient, endpoint)
        bad[add_reminder(db, patient, due=due).id] = (reason, subscription.id)
    waiting = add_reminder(db, hanging, due=due).id

    ticks: list[JobExecutionEvent] = []
    with scheduler_running(push_app, listener=ticks.append):
        wait_until(lambda: len(ticks) >= 1, 60, "the first pass to end")
        # What that one pass did, before any other began.
        received = Counter(m.topic for m in receiver.messages())
        first_pass = Counter(
            db.session.scalars(select(Reminder.state).where(Reminder.patient_id.in_(good_patients)))
        )
        wait_until(lambda: len(ticks) >= 2, 3 * interval, "the next tick")

    good_ids = set(
        db.session.scalars(select(Reminder.id).where(Reminder.patient_id.in_(good_patients)))
    )
    assert len(received) == 1000 and set(received.values()) == {1}
    assert set(received) == {f"r{id_}" for id_ in good_ids}
    assert first_pass == {"delivered": 1000}
    for reminder_id, (reason, subscription_id) in bad.items():
        state, outcome, error = outcome_of(db, reminder_id)
        assert (state, outcome) == ("failed", "failed"), error
        assert reason in error, error
        switched_off = db.session.get(PushSubscription, subscription_id)
        if not reason.startswith("cannot prepare"):
            assert switched_off.disabled_at is not None and switched_off.disabled_reason
    state, outcome, error = outcome_of(db, waiting)
    assert (state, outcome, error) == ("pending", "retry", "timed out")
    # The next tick ran when it was due: none was skipped or missed.
    assert [tick.code for tick in ticks[:2]] == [EVENT_JOB_EXECUTED, EVENT_JOB_EXECUTED]
    first, second = (tick.scheduled_run_time for tick in ticks[:2])
    assert second - first == timedelta(seconds=interval)


def test_whatever_a_push_library_raises_is_that_reminders_failed_attempt(
    push_app, db, clinic, receiver, monkeypatch
):
    """py_vapid, pywebpush, http_ece (through cryptography) and aiohttp itself each raise for
    one subscription here; the others in the same pass are delivered."""
    from aiohttp import ClientSession

    def subscribed(name: str) -> tuple[Reminder, PushSubscription]:
        patient = add_patient(db, clinic, name)
        subscription = subscribe(db, patient, receiver)
        return add_reminder(db, patient), subscription

    vapid, vapid_subscription = subscribed("VAPID")
    vapid_subscription.endpoint = vapid_subscription.endpoint.replace("127.0.0.1", "[::1]")
    webpush, webpush_subscription = subscribed("pywebpush")
    webpush_subscription.p256dh = "AAAA"  # pywebpush: "Invalid p256dh key specified"
    ece, ece_subscription = subscribed("http_ece")
    ece_subscription.p256dh = b64url_encode(b"\x04" + bytes(64))  # not a point on P-256
    transport, transport_subscription = subscribed("aiohttp")
    db.session.commit()
    good = [subscribed(f"Patient {n}")[0] for n in range(5)]

    real_post = ClientSession.post

    def post(self, url, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if str(url) == transport_subscription.endpoint:
            raise RuntimeError("a fault deep in the transport")
        return real_post(self, url, *args, **kwargs)

    monkeypatch.setattr(ClientSession, "post", post)
    with scheduler_running(push_app):
        receiver.wait_for(5, timeout=30)
        wait_until(lambda: states(db).get("delivered") == 5, 30, "the good ones recorded")
        wait_until(
            lambda: db.session.scalar(select(func.count(Delivery.id))) == 9, 30, "every attempt"
        )

    assert "cannot prepare: VapidException" in outcome_of(db, vapid.id)[2]
    assert "cannot prepare: WebPushException" in outcome_of(db, webpush.id)[2]
    assert "cannot prepare: ValueError" in outcome_of(db, ece.id)[2]
    for reminder in (vapid, webpush, ece):
        assert outcome_of(db, reminder.id)[:2] == ("failed", "failed")
    state, outcome, error = outcome_of(db, transport.id)
    assert (state, outcome) == ("pending", "retry")  # tried again later, within its window
    assert error == "unexpected: RuntimeError: a fault deep in the transport"
    assert {f"r{r.id}" for r in good} == {m.topic for m in receiver.messages()}
