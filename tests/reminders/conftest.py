"""Reminder fixtures: a real local push receiver, and subscribed patients."""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from aftercare.models import (
    Clinic,
    Device,
    Patient,
    PatientEmail,
    PushSubscription,
    Reminder,
    utcnow,
)
from aftercare.reminders.push_subscriptions import vapid_public_key
from aftercare.reminders.scheduler import _add_job
from aftercare.reminders.smtp import smtp_settings
from tests.conftest import csrf_from
from tests.mail_server import MailServer
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


def add_device(db, patient: Patient, label: str = "Phone") -> Device:  # noqa: ANN001
    """A phone linked to the patient, as enrollment makes it."""
    device = Device(patient_id=patient.id, token_hash=secrets.token_hex(32), label=label)
    db.session.add(device)
    db.session.commit()
    return device


def subscribe(
    db,  # noqa: ANN001
    patient: Patient,
    receiver: PushReceiver,
    device: Device | None = None,
) -> PushSubscription:
    """A push subscription on the receiver, for a phone of the patient's (a new one unless
    given)."""
    device = device or add_device(db, patient)
    info = receiver.new_subscription()
    subscription = PushSubscription(
        patient_id=patient.id,
        device_id=device.id,
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
    if kind.startswith("questionnaire_"):
        title, body = "A few questions for your care team", "Tap to answer a short questionnaire."
        url = f"/questionnaires/{kind.removeprefix('questionnaire_')}"
    else:
        title, body = "Appointment reminder", "You have an appointment today at 3:00 PM."
        url = "/today"
    reminder = Reminder(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind=kind,
        title=title,
        body=body,
        url=url,
        due_at=due,
        expires_at=expires or due + timedelta(hours=2),
        next_attempt_at=due,
        state="pending",
    )
    db.session.add(reminder)
    db.session.commit()
    return reminder


def next_clock_time(
    clinic: Clinic, hour: int, minute: int = 0, after: datetime | None = None
) -> datetime:
    """The next moment after `after` (now) when the clinic's clock reads hour:minute, in UTC."""
    tz = ZoneInfo(clinic.timezone)
    after = after or utcnow()
    day = after.astimezone(tz).date()
    for days in range(3):
        moment = datetime.combine(day + timedelta(days=days), clock(hour, minute), tzinfo=tz)
        if moment > after:
            return moment.astimezone(UTC)
    raise AssertionError("unreachable: a clock time comes round within a day")


class HostsResolver(AbstractResolver):
    """A hosts file for the sender's DNS: names map to addresses, as /etc/hosts would.

    The app's own resolving code (`CheckedResolver`) runs on what this answers, and the sender
    connects to the addresses it gives. `answers` may hold a list per name, one per lookup in
    turn (the last repeats): a name that answers differently later, as in DNS rebinding.
    """

    def __init__(self, hosts: dict[str, list[str] | list[list[str]]]) -> None:
        self.hosts = hosts
        self.lookups: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups.append(host)
        if host not in self.hosts:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = self.hosts[host]
        if answers and isinstance(answers[0], list):
            seen = self.lookups.count(host)
            answers = answers[min(seen, len(answers)) - 1]
        return [
            {
                "hostname": host,
                "host": address,
                "port": port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for address in answers
        ]

    async def close(self) -> None:
        pass


def use_hosts(app: Flask, hosts: dict) -> HostsResolver:  # noqa: ANN001
    """Make the app resolve push services' names with these hosts (one resolver throughout)."""
    resolver = HostsResolver(hosts)
    app.extensions["aftercare.push_resolver"] = lambda: resolver
    return resolver


def allow_services(app: Flask, *hosts: str) -> None:
    """Add push services to the app's allowed ones, as AFTERCARE_PUSH_SERVICES would."""
    app.config["PUSH_SERVICES"] = (*app.config["PUSH_SERVICES"], *((h, 443) for h in hosts))


def wait_until(condition, timeout: float, what: str):  # noqa: ANN001, ANN201
    """Poll `condition` until it is true (and return it), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@contextmanager
def scheduler_running(
    app: Flask, listener: Callable[[JobEvent], None] | None = None
) -> Iterator[BackgroundScheduler]:
    """The real scheduler, as `aftercare run` starts it beside the web server (the same job,
    from the same `_add_job`), until the block ends; `listener` hears of every tick.

    At the end it waits for a pass under way, up to a lease and a little more: the scheduler
    lets no pass run longer, so one that does fails the test rather than hang it.
    """
    ticks = {"submitted": 0, "ended": 0}

    def count(event: JobEvent) -> None:
        ticks["submitted" if event.code == EVENT_JOB_SUBMITTED else "ended"] += 1

    scheduler = BackgroundScheduler(timezone=UTC, daemon=True)
    _add_job(scheduler, app)
    scheduler.add_listener(count, EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    if listener is not None:
        scheduler.add_listener(
            listener, EVENT_JOB_EXECUTED | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED
        )
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)
        wait_until(
            lambda: ticks["ended"] >= ticks["submitted"],
            app.config["PUSH_LEASE_SECONDS"] + 15,
            "the scheduler's last pass to end",
        )


def turn_reminders_on(phone, receiver: PushReceiver) -> dict:  # noqa: ANN001
    """Post a subscription on the receiver from the phone, as push.js does; its JSON."""
    subscription = receiver.new_subscription()
    token = csrf_from(phone.client.get("/check-in").text)
    response = phone.client.post(
        "/push/subscription", json=subscription, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201, response.text
    return subscription


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture
def email_app(push_app: Flask, mail_server: MailServer) -> Flask:
    """The app with email on, to the local SMTP server; links from a public address."""
    base = "http://aftercare.test"
    push_app.config.update(
        BASE_URL=base, SMTP=smtp_settings({"AFTERCARE_SMTP_URL": mail_server.url}, base)
    )
    return push_app


def add_email(
    db,  # noqa: ANN001
    patient: Patient,
    address: str = "alex@example.org",
    always: bool = False,
    verified: bool = True,
) -> PatientEmail:
    """The patient's email address, verified unless told."""
    email = PatientEmail(
        patient_id=patient.id,
        address=address,
        always=always,
        verified_at=utcnow() if verified else None,
    )
    db.session.add(email)
    db.session.commit()
    return email
