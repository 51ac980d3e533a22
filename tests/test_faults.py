"""Faults in the production layout: the database restarted under load, push services that hang.

The database tests run gunicorn and the scheduler against a PostgreSQL server of their own,
which they stop and start mid-run. They need PostgreSQL's server programs and run once, in the
PostgreSQL pass of `scripts/test`.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from aftercare.extensions import db as _db
from aftercare.models import CheckIn, Clinic, Reminder, utcnow
from aftercare.reminders.push_subscriptions import vapid_public_key
from tests.conftest import add_patient, csrf_from, enrollment_token, make_app
from tests.databases import SERVER_VARIABLE
from tests.postgres_server import PostgresServer, postgres_bin
from tests.push_receiver import PushReceiver
from tests.reminders.conftest import add_reminder, subscribe
from tests.reminders.test_processes import AFTERCARE, environment, wait_until
from tests.servers import get, serve_gunicorn

postgresql_pass_only = pytest.mark.skipif(
    not os.environ.get(SERVER_VARIABLE),
    reason="runs once, in the PostgreSQL pass of scripts/test",
)
PHONES = 4
HTTP_TIMEOUT_S = 10


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this test's own, which it may stop and start."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    server = PostgresServer(bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def restartable_app(postgres: PostgresServer, tmp_path: Path) -> Iterator[Flask]:
    """The app on a migrated database on that server."""
    app = make_app(tmp_path, postgres.url(), PUSH_ALLOW_LOOPBACK_HTTP=True)
    with app.app_context():
        upgrade()
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def clinic_on_restartable(restartable_app: Flask) -> Clinic:
    clinic = Clinic(name="Riverside Ketamine Clinic", timezone="America/New_York", phone="555-0100")
    _db.session.add(clinic)
    _db.session.commit()
    return clinic


class Phone:
    """An enrolled phone over real HTTP, with the outbox of a phone: what was not taken is kept."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        _, page = self.call("GET", f"/enroll/{token}")
        status, _ = self.call("POST", f"/enroll/{token}", {"csrf_token": csrf_from(page)})
        assert status == 200, status  # followed the redirect to Today
        self.csrf = csrf_from(self.call("GET", "/check-in")[1])
        self.outbox: list[str] = []

    def call(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Accept", "application/json" if method == "POST" else "text/html")
        try:
            with self.opener.open(request, timeout=HTTP_TIMEOUT_S) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def check_in(self, key: str) -> tuple[int, str]:
        form = {"csrf_token": self.csrf, "idempotency_key": key, "headache": "1", "nausea": "2"}
        return self.call("POST", "/check-in", form)


class CheckInTraffic:
    """Phones submitting check-ins one after another in threads, until stopped."""

    def __init__(self, phones: list[Phone]) -> None:
        self.phones = phones
        self.acknowledged: list[str] = []
        self.unavailable: list[str] = []  # the 503 messages
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(p,)) for p in phones]

    def _run(self, phone: Phone) -> None:
        while not self._stop.is_set():
            key = uuid.uuid4().hex
            try:
                status, body = phone.check_in(key)
            except OSError as error:  # gunicorn runs throughout: no request may go unanswered
                with self._lock:
                    self.errors.append(f"{key}: {error!r}")
                phone.outbox.append(key)
                continue
            with self._lock:
                if status in (200, 201):
                    self.acknowledged.append(key)
                elif status == 503:
                    self.unavailable.append(json.loads(body)["message"])
                    phone.outbox.append(key)
                else:
                    self.errors.append(f"{key}: {status} {body[:300]}")
            self._stop.wait(0.02)  # a little time between submissions

    def __enter__(self) -> CheckInTraffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=HTTP_TIMEOUT_S + 5)

    def count(self, what: str) -> int:
        with self._lock:
            return len(getattr(self, what))


@postgresql_pass_only
def test_check_ins_survive_a_database_restart_without_restarting_gunicorn(
    postgres, restartable_app, clinic_on_restartable, tmp_path
):
    tokens = [
        enrollment_token(_db, add_patient(_db, clinic_on_restartable, f"Patient {n}"))
        for n in range(PHONES)
    ]
    log = tmp_path / "gunicorn.log"
    with serve_gunicorn(postgres.url(), tmp_path, log, workers=2) as served:
        base = served.url
        phones = [Phone(base, token) for token in tokens]
        with CheckInTraffic(phones) as traffic:
            wait_until(lambda: traffic.count("acknowledged") >= 20, 60, "check-ins before")
            postgres.stop(mode="fast")
            # Requests keep coming while the database is down: each must get a clean 503.
            wait_until(
                lambda: traffic.count("unavailable") + traffic.count("errors") >= 10,
                30,
                "answers while the database is down",
            )
            postgres.start()
            after = traffic.count("acknowledged")
            wait_until(lambda: traffic.count("acknowledged") >= after + 20, 60, "check-ins after")
        # The phones send what they kept; their keys make each one count once.
        for phone in phones:
            for key in phone.outbox:
                status, body = phone.check_in(key)
                assert status in (200, 201), body
                traffic.acknowledged.append(key)
        assert get(f"{base}/healthz")[0] == 200

    assert traffic.errors == []
    assert set(traffic.unavailable) == {
        "Your check-in could not be saved just now. It is kept on this phone; please try again."
    }
    # The same two workers served before, during and after: nothing was restarted.
    assert log.read_text().count("Booting worker with pid") == 2
    _db.session.remove()
    stored = set(_db.session.scalars(select(CheckIn.idempotency_key)))
    assert stored == set(traffic.acknowledged)
    assert _db.session.scalar(select(func.count(CheckIn.id))) == len(stored)


def delivered(reminder: Reminder) -> bool:
    return _db.session.scalar(select(Reminder.state).where(Reminder.id == reminder.id)) == (
        "delivered"
    )


@postgresql_pass_only
def test_the_scheduler_keeps_running_across_a_database_restart_and_sends_afterwards(
    postgres, restartable_app, clinic_on_restartable
):
    patient = add_patient(_db, clinic_on_restartable, "Alex")
    with PushReceiver(vapid_public_key(restartable_app), hang_limit=10) as receiver:
        subscribe(_db, patient, receiver)
        before = add_reminder(_db, patient)
        env = environment(restartable_app, AFTERCARE_SCHEDULER_INTERVAL_SECONDS="1")
        with subprocess.Popen(
            [str(AFTERCARE), "scheduler"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        ) as scheduler:
            errors: list[str] = []
            reader = threading.Thread(target=lambda: errors.extend(scheduler.stderr), daemon=True)
            reader.start()
            try:
                receiver.wait_for(1, timeout=30)
                wait_until(lambda: delivered(before), 30, "the first delivery to be recorded")
                # Falls due while the database is down.
                during = add_reminder(_db, patient, due=utcnow() + timedelta(seconds=2))
                postgres.stop(mode="fast")
                failed = "reminders: pass failed"
                wait_until(
                    lambda: sum(failed in line for line in errors) >= 3,
                    30,
                    "three ticks against the stopped database",
                )
                assert scheduler.poll() is None
                # One short line for each failed tick, which says why: no traceback.
                during_outage = [
                    line for line in errors if "reminders: " in line and "pass done" not in line
                ]
                assert all(failed in line for line in during_outage), during_outage
                assert "the database cannot be reached" in during_outage[0]
                postgres.start()
                receiver.wait_for(2, timeout=30)
                after = add_reminder(_db, patient)
                receiver.wait_for(3, timeout=30)
                wait_until(
                    lambda: delivered(during) and delivered(after), 30, "the deliveries recorded"
                )
                assert scheduler.poll() is None, "the scheduler exited"
                wait_until(
                    lambda: any("passes work again" in line for line in errors),
                    30,
                    "the line that says passes work again",
                )
                assert not any("Traceback" in line for line in errors), "".join(errors)
            finally:
                scheduler.terminate()
                scheduler.wait(timeout=15)
        topics = Counter(message.topic for message in receiver.messages())
    assert topics == {f"r{r.id}": 1 for r in (before, during, after)}
