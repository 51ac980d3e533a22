"""Real sender processes on one database: two at once, and one killed mid-fan-out."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from aftercare.models import Delivery, Reminder, utcnow
from tests.reminders.conftest import subscribe

AFTERCARE = Path(sys.executable).parent / "aftercare"


def environment(app, **extra: str) -> dict[str, str]:  # noqa: ANN001
    env = {
        **os.environ,
        "AFTERCARE_DATA_DIR": str(app.config["DATA_DIR"]),  # the same VAPID key as the test
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "AFTERCARE_SECRET_KEY": "test-secret-key",
        "AFTERCARE_PUSH_ALLOW_LOOPBACK_HTTP": "1",
        "AFTERCARE_DEMO": "0",
    }
    env.update(extra)
    return env


def many_reminders(db, patient, count: int) -> None:  # noqa: ANN001
    now = utcnow()
    rows = [
        {
            "clinic_id": patient.clinic_id,
            "patient_id": patient.id,
            "kind": "before_2h",
            "title": "Appointment reminder",
            "body": f"Reminder {n}",
            "url": "/today",
            "due_at": now - timedelta(seconds=1),
            "expires_at": now + timedelta(hours=2),
            "next_attempt_at": now - timedelta(seconds=1),
            "state": "pending",
        }
        for n in range(count)
    ]
    db.session.execute(insert(Reminder), rows)
    db.session.commit()


def topics(receiver) -> Counter:  # noqa: ANN001
    return Counter(m.topic for m in receiver.messages())


def wait_until(condition, timeout: float, what: str):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def states(db) -> dict[str, int]:  # noqa: ANN001
    db.session.expire_all()
    return dict(
        db.session.execute(select(Reminder.state, func.count()).group_by(Reminder.state)).all()
    )


def test_two_senders_at_once_deliver_each_reminder_exactly_once(push_app, db, patient, receiver):
    subscribe(db, patient, receiver)
    many_reminders(db, patient, 400)
    # A slow push service and small batches: the pass lasts several seconds, so the two
    # processes, which take a second or two to start, race for the same reminders.
    receiver.delay = 0.05
    env = environment(push_app, AFTERCARE_PUSH_BATCH_SIZE="10", AFTERCARE_PUSH_CONCURRENCY="8")
    senders = [
        subprocess.Popen(
            [str(AFTERCARE), "send-due"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [sender.communicate(timeout=120) for sender in senders]
    assert all(sender.returncode == 0 for sender in senders), outputs

    claimed = [int(out.split("claimed ")[1].split(",")[0]) for out, _ in outputs]
    assert sum(claimed) == 400
    assert min(claimed) > 0, f"one sender did all the work: {claimed}"
    received = topics(receiver)
    assert len(received) == 400
    assert set(received.values()) == {1}
    assert states(db) == {"delivered": 400}
    assert db.session.scalar(select(func.count(Delivery.id))) == 400


def test_two_schedulers_during_a_fan_out_deliver_each_reminder_exactly_once(
    push_app, db, patient, receiver
):
    """The production layout: scheduler processes side by side (on PostgreSQL in its pass)."""
    subscribe(db, patient, receiver)
    many_reminders(db, patient, 1000)
    # About six seconds of sending for one process alone: both are running by then.
    receiver.delay = 0.05
    env = environment(
        push_app,
        AFTERCARE_PUSH_BATCH_SIZE="40",
        AFTERCARE_PUSH_CONCURRENCY="8",
        AFTERCARE_SCHEDULER_INTERVAL_SECONDS="1",
    )
    schedulers = [
        subprocess.Popen(
            [str(AFTERCARE), "scheduler"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    try:
        wait_until(lambda: states(db) == {"delivered": 1000}, 120, "every reminder delivered")
    finally:
        for scheduler in schedulers:
            scheduler.send_signal(signal.SIGTERM)
        for scheduler in schedulers:
            try:
                scheduler.wait(timeout=30)
            except subprocess.TimeoutExpired:
                scheduler.kill()
    received = topics(receiver)
    assert len(received) == 1000
    assert set(received.values()) == {1}
    # Each pass claims under its process's name and its own number: count the processes.
    workers = Counter(c.rsplit("/", 1)[0] for c in db.session.scalars(select(Reminder.claimed_by)))
    assert len(workers) == 2, f"one scheduler did all the work: {workers}"
    assert db.session.scalar(select(func.count(Delivery.id))) == 1000


@pytest.mark.parametrize("kill_after", [100])
def test_a_scheduler_killed_mid_fan_out_loses_nothing(push_app, db, patient, receiver, kill_after):
    subscribe(db, patient, receiver)
    many_reminders(db, patient, 1000)
    env = environment(
        push_app,
        AFTERCARE_PUSH_BATCH_SIZE="100",
        AFTERCARE_PUSH_LEASE_SECONDS="5",
        AFTERCARE_SCHEDULER_INTERVAL_SECONDS="1",
    )
    scheduler = subprocess.Popen(
        [str(AFTERCARE), "scheduler"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_until(lambda: len(receiver.messages()) >= kill_after, 60, "the fan-out to start")
        scheduler.send_signal(signal.SIGKILL)
        scheduler.wait(timeout=10)
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
    at_kill = states(db)
    received_at_kill = len(receiver.messages())
    assert at_kill.get("delivered", 0) < 1000, "the kill came too late to test anything"
    in_flight = at_kill.get("sending", 0)

    restarted = subprocess.Popen(
        [str(AFTERCARE), "scheduler"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_until(lambda: states(db) == {"delivered": 1000}, 90, "every reminder to be delivered")
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=15)

    received = topics(receiver)
    assert len(received) == 1000, "a reminder was lost"
    duplicated = {topic for topic, n in received.items() if n > 1}
    # Only reminders claimed by the killed scheduler and not yet recorded can come twice...
    assert len(duplicated) <= in_flight
    # ...and each of them shows it: claimed twice, sent once on record.
    reclaimed = {
        f"r{id_}"
        for id_ in db.session.scalars(
            select(Reminder.id).where(Reminder.claims > Reminder.attempts)
        )
    }
    assert duplicated <= reclaimed
    assert received_at_kill <= sum(received.values())


def test_two_senders_at_once_send_each_of_a_patients_questionnaires_once(
    push_app, db, clinic, receiver
):
    """Reminders sent together are claimed together: two senders racing for the same patients
    never send one of them twice, and every push counts what it carries."""
    from zoneinfo import ZoneInfo

    from tests.conftest import add_patient

    # Quiet hours elsewhere in the day: this is about claims, whatever the time of the run.
    hour = utcnow().astimezone(ZoneInfo(clinic.timezone)).hour
    clinic.content = {"reminders": {"quiet_start": (hour + 2) % 24, "quiet_end": (hour + 3) % 24}}
    db.session.commit()
    due = utcnow() - timedelta(seconds=1)
    patients = [add_patient(db, clinic, f"Patient {n}", hours_ago=None) for n in range(60)]
    endpoints = {subscribe(db, p, receiver).endpoint: p.id for p in patients}
    kinds = ("questionnaire_pcl5", "questionnaire_phq9", "questionnaire_gad7")
    rows = [
        {
            "clinic_id": clinic.id,
            "patient_id": p.id,
            "kind": kind,
            "title": "A few questions for your care team",
            "body": "Tap to answer a short questionnaire.",
            "url": "/today",
            "due_at": due,
            "expires_at": due + timedelta(days=7),
            "next_attempt_at": due,
            "state": "pending",
        }
        for p in patients
        for kind in kinds
    ]
    db.session.execute(insert(Reminder), rows)
    db.session.commit()
    receiver.delay = 0.05
    env = environment(push_app, AFTERCARE_PUSH_BATCH_SIZE="10", AFTERCARE_PUSH_CONCURRENCY="4")
    senders = [
        subprocess.Popen(
            [str(AFTERCARE), "send-due"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = [sender.communicate(timeout=120) for sender in senders]
    assert all(sender.returncode == 0 for sender in senders), outputs

    assert states(db) == {"delivered": 180}
    delivered = Counter(
        db.session.scalars(select(Delivery.reminder_id).where(Delivery.outcome == "delivered"))
    )
    assert len(delivered) == 180 and set(delivered.values()) == {1}
    # What each phone was told adds up to its patient's three questionnaires, no more.
    told = Counter()
    for message in receiver.messages():
        body = json.loads(message.payload)["body"]
        count = 1 if body == "Tap to answer a short questionnaire." else int(body.split()[0])
        told[endpoints[message.endpoint]] += count
    assert told == {p.id: 3 for p in patients}
    # Most patients had one push; a patient whose reminders the two senders split had two.
    assert len(receiver.messages()) < 2 * len(patients)
