"""Reminder fixtures: a real local push receiver, and subscribed patients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask

from aftercare.models import Patient, PushSubscription, Reminder, utcnow
from aftercare.reminders.push import vapid_public_key
from tests.push_receiver import PushReceiver


@pytest.fixture
def push_app(app: Flask) -> Flask:
    # The local receiver speaks plain HTTP on loopback; real push services are HTTPS.
    app.config.update(PUSH_ALLOW_LOOPBACK_HTTP=True, PUSH_TIMEOUT_SECONDS=2)
    return app


@pytest.fixture
def receiver(push_app: Flask) -> Iterator[PushReceiver]:
    with PushReceiver(vapid_public_key(push_app), hang_limit=10) as receiver:
        yield receiver


def subscribe(db, patient: Patient, receiver: PushReceiver) -> PushSubscription:  # noqa: ANN001
    info = receiver.new_subscription()
    subscription = PushSubscription(
        patient_id=patient.id,
        endpoint=info["endpoint"],
        p256dh=info["keys"]["p256dh"],
        auth=info["keys"]["auth"],
    )
    db.session.add(subscription)
    db.session.commit()
    return subscription


def add_reminder(
    db,  # noqa: ANN001
    patient: Patient,
    due: datetime | None = None,
    expires: datetime | None = None,
    kind: str = "before_2h",
) -> Reminder:
    due = due or utcnow() - timedelta(minutes=1)
    reminder = Reminder(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind=kind,
        title="Appointment reminder",
        body="You have an appointment today at 3:00 PM.",
        url="/today",
        due_at=due,
        expires_at=expires or due + timedelta(hours=2),
        next_attempt_at=due,
        state="pending",
    )
    db.session.add(reminder)
    db.session.commit()
    return reminder
