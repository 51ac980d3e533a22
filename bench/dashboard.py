"""Clinician pages in a small and a large clinic: the dashboard's first page and a patient page.

    .venv/bin/python bench/dashboard.py            # 100 and 10,000 patients
    .venv/bin/python bench/dashboard.py --quick    # 100 and 1,000: a smoke run

For each size it builds a fresh SQLite database with the real migrations and fills it with bulk
inserts: one clinic, one clinician, N patients with 6 infusions and 50 check-ins each (triaged
by the real rules; about one in nine needs the care team), an alert for every such check-in
(a tenth of them still open, so even the small clinic fills the dashboard's 50), appointments,
reminders with their deliveries, a phone and a push subscription each. With every clinic
built, it signs in to each through the real sign-in form (CSRF on) and times full requests
through the app with Flask's test client, the clinics taking turns: the dashboard's first page
(`/clinic/`: open alerts, and the first page of patients, most urgent first) and the page of a
patient with 50 check-ins.

Targets: the median at the largest size at most twice the median at the smallest (the cost
does not grow with the clinic) and under 150 ms. Exits 1 if a page is wrong; the speed verdict
is printed, not enforced: timings belong here, not in the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import random
import re
import shlex
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RATIO_TARGET = 2.0  # median at the largest size / median at the smallest
MEDIAN_TARGET_MS = 150.0  # at the largest size
EMAIL = "nurse@bench.test"
PASSWORD = "correct horse battery staple"
INFUSION_DAYS = (0, 3, 7, 10, 14, 17)  # a series of six infusions over two and a half weeks
# Check-ins after each infusion (hours after it ended), then two more after the series (days):
# 6 x 8 + 2 = 50 per patient.
CHECK_IN_HOURS = (1, 2, 4, 6, 20, 26, 44, 60)
LATER_DAYS = (5, 10)
OPEN_SHARE = 0.1  # alerts not yet acknowledged
BATCH = 500  # patients per bulk insert
HOUR = timedelta(hours=1)
ENDPOINTS = ("dashboard", "patient page")


@dataclass
class Size:
    patients: int
    check_ins: int = 0
    alerts: int = 0
    open_alerts: int = 0
    rows: int = 0
    build_s: float = 0.0


@dataclass
class Timing:
    size: Size
    endpoint: str
    samples_ms: list[float]  # on the clock, request by request
    cpu_ms: list[float]  # this process's CPU time for the same requests

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p90(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_ms)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[100, 10_000], help="patients in each clinic"
    )
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmups", type=int, default=3, help="untimed requests first")
    parser.add_argument("--seed", type=int, default=1, help="for the made-up records")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 100 and 1,000 patients, 5 requests"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.requests, args.warmups = [100, 1000], 5, 1
    args.sizes = sorted(set(args.sizes))
    if len(args.sizes) < 2 or args.sizes[0] < 1 or args.sizes[-1] > 100_000:
        parser.error("give at least two different sizes, each from 1 to 100,000 patients")
    if args.requests < 1 or args.warmups < 0:
        parser.error("--requests must be at least 1 and --warmups at least 0")
    return args


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sqlite3

    return (
        f"{len(os.sched_getaffinity(0))} CPUs (nproc), {model}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def load() -> str:
    """The machine's load average: other processes slow the clock figures, not the CPU ones."""
    return "load average " + ", ".join(f"{n:.2f}" for n in os.getloadavg())


def make_app(folder: Path) -> Flask:
    # load_config() reads the environment before these settings are laid over it: keep it
    # away from the developer's instance/ folder and database.
    os.environ["AFTERCARE_DATA_DIR"] = str(folder)
    os.environ["AFTERCARE_SECRET_KEY"] = "bench-secret-key"
    os.environ.pop("DATABASE_URL", None)
    from aftercare import create_app

    return create_app(
        {
            "SECRET_KEY": "bench-secret-key",
            "DATA_DIR": folder,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'aftercare.sqlite3'}",
            "DEMO": False,
        }
    )


class Records:
    """Made-up but plausible check-ins, triaged by the real rules.

    The rules only ask whether 4, 16 or 24 hours have passed since the infusion, so there is a
    pool of answers for each of those stretches, each triaged once. About one check-in in nine
    needs the care team, mostly to call the clinic; about one in fifty is a crisis or an
    emergency.
    """

    STRETCHES = (0, 4, 16, 24)  # hours since the infusion

    def __init__(self, seed: int) -> None:
        from aftercare.care.symptoms import GRADED
        from aftercare.care.triage import CheckInAnswers, triage

        self.random = random.Random(seed)
        self.graded = [symptom.code for symptom in GRADED]
        self.pools: list[list[tuple[dict[str, Any], str, list[str]]]] = []
        for hours in self.STRETCHES:
            pool = []
            for _ in range(500):
                answers = self._answers(hours)
                result = triage(CheckInAnswers(**answers), hours)
                pool.append((answers, result.level.value, list(result.reasons)))
            self.pools.append(pool)

    def _answers(self, hours: int) -> dict[str, Any]:
        pick, choice = self.random.random, self.random.choice
        severities = dict.fromkeys(self.graded, 0)
        if hours < 4:  # the expected effects, strongest in the first hours
            for code in ("dissociation", "dizziness", "nausea", "drowsiness"):
                severities[code] = choice((0, 1, 1, 2, 2, 3))
        elif hours < 16:
            for code in self.random.sample(self.graded, 3):
                severities[code] = choice((0, 0, 1, 1, 2))
        else:  # mostly gone by the next day; now and then one that lingers
            for code in self.random.sample(self.graded, 2):
                severities[code] = choice((0, 0, 0, 1))
            if pick() < 0.02:
                severities["dissociation"] = 1
            if pick() < 0.01:
                severities[choice(self.graded)] = 3
        if severities["low_mood"] == 3 and pick() < 0.8:
            severities["low_mood"] = 2
        roll = pick()
        if roll < 0.01:
            severities[choice(("chest_pain", "trouble_breathing", "fainting"))] = 1
        elif roll < 0.03:
            severities["suicidal_thoughts"] = 1
        elif roll < 0.07:
            severities[choice(("cannot_keep_fluids", "rash_itching", "painful_urination"))] = 1
        answers: dict[str, Any] = {"severities": severities}
        if pick() < 0.5:
            high = pick() < 0.04
            answers["systolic"] = (
                self.random.randint(160, 175) if high else self.random.randint(105, 150)
            )
            answers["diastolic"] = self.random.randint(65, 95)
            answers["heart_rate"] = self.random.randint(58, 124 if pick() < 0.05 else 110)
        return answers

    def check_in(self, hours: float) -> tuple[dict[str, Any], str, list[str]]:
        """Answers for a check-in this many hours after the infusion, their level and reasons."""
        stretch = sum(hours >= h for h in self.STRETCHES[1:])
        return self.random.choice(self.pools[stretch])


def fill(size: Size, records: Records, now: datetime) -> int:
    """Bulk-insert a clinic of `size.patients`; the id of a patient to look at."""
    from werkzeug.security import generate_password_hash

    from aftercare.extensions import db
    from aftercare.models import (
        Alert,
        Appointment,
        CheckIn,
        Clinic,
        Clinician,
        Delivery,
        Device,
        Infusion,
        Patient,
        PushSubscription,
        Reminder,
    )

    rnd = records.random
    clinic = Clinic(name="Benchmark Clinic", timezone="America/New_York", phone="555-0100")
    db.session.add(clinic)
    db.session.flush()
    clinician = Clinician(
        clinic_id=clinic.id,
        email=EMAIL,
        name="Nurse",
        password_hash=generate_password_hash(PASSWORD, method="scrypt"),  # hashed once
    )
    db.session.add(clinician)
    db.session.commit()
    ids = dict.fromkeys(("infusion", "check_in", "alert", "appointment", "reminder"), 0)

    def next_id(kind: str) -> int:
        ids[kind] += 1
        return ids[kind]

    for first in range(1, size.patients + 1, BATCH):
        rows: dict[Any, list[dict[str, Any]]] = {
            model: []
            for model in (
                Patient,
                Device,
                PushSubscription,
                Infusion,
                CheckIn,
                Alert,
                Appointment,
                Reminder,
                Delivery,
            )
        }
        for patient_id in range(first, min(first + BATCH, size.patients + 1)):
            start = now - timedelta(days=rnd.uniform(30, 400))
            start = start.replace(hour=rnd.randint(14, 19), minute=rnd.choice((0, 15, 30, 45)))
            device_id = patient_id
            rows[Device].append(
                {
                    "id": device_id,
                    "patient_id": patient_id,
                    "token_hash": f"{patient_id:064x}",
                    "label": "Phone",
                    "created_at": start,
                    "last_seen_at": start + timedelta(days=20),
                }
            )
            rows[PushSubscription].append(
                {
                    "patient_id": patient_id,
                    "device_id": device_id,
                    "endpoint": f"https://push.example.test/{patient_id}",
                    "p256dh": "B" * 87,
                    "auth": "A" * 22,
                    "created_at": start,
                    "disabled_at": start + timedelta(days=40) if rnd.random() < 0.05 else None,
                }
            )
            check_ins: list[tuple[datetime, int, float]] = []  # (received, infusion id, hours)
            last_infusion = None
            for day in INFUSION_DAYS:
                infusion_id = next_id("infusion")
                ended = start + timedelta(days=day, minutes=50)
                last_infusion = ended
                rows[Infusion].append(
                    {
                        "id": infusion_id,
                        "patient_id": patient_id,
                        "started_at": ended - timedelta(minutes=50),
                        "ended_at": ended,
                        "recorded_by_id": clinician.id,
                        "created_at": ended,
                    }
                )
                for hours in CHECK_IN_HOURS:
                    hours += rnd.uniform(-0.4, 0.4)
                    check_ins.append((ended + timedelta(hours=hours), infusion_id, hours))
                # The check-in prompts: that evening and the next morning (9:00 New York).
                morning = (ended + timedelta(days=1)).replace(hour=13, minute=0)
                evening = ended + timedelta(hours=3)
                for kind, due, expires in (
                    ("checkin_evening", evening, morning),
                    ("checkin_morning", morning, morning + timedelta(hours=5)),
                ):
                    state = rnd.choices(("delivered", "expired", "failed"), (90, 7, 3))[0]
                    reminder_id = next_id("reminder")
                    rows[Reminder].append(
                        reminder_row(reminder_id, clinic.id, patient_id, kind, due, expires, state)
                        | {"infusion_id": infusion_id, "appointment_id": None}
                    )
                    if state == "delivered":
                        rows[Delivery].append(delivery_row(reminder_id, due))
            for days in LATER_DAYS:
                received = last_infusion + timedelta(days=days, hours=rnd.uniform(-3, 3))
                check_ins.append((received, infusion_id, (received - last_infusion) / HOUR))
            last_level = "expected"
            for n, (received, infusion_id, hours) in enumerate(check_ins):
                check_in_id = next_id("check_in")
                answers, level, reasons = records.check_in(hours)
                last_level = level
                rows[CheckIn].append(
                    {
                        "id": check_in_id,
                        "patient_id": patient_id,
                        "device_id": device_id,
                        "infusion_id": infusion_id,
                        "idempotency_key": f"bench-{patient_id}-{n}",
                        "filled_at": received - timedelta(minutes=2),
                        "received_at": received,
                        "severities": answers["severities"],
                        "systolic": answers.get("systolic"),
                        "diastolic": answers.get("diastolic"),
                        "heart_rate": answers.get("heart_rate"),
                        "got_home_safely": True if n % 8 == 0 else None,
                        "note": "Felt better by the evening." if n % 11 == 0 else "",
                        "hours_since_infusion": hours,
                        "triage_level": level,
                        "triage_reasons": reasons,
                    }
                )
                if level != "expected":
                    is_open = rnd.random() < OPEN_SHARE
                    rows[Alert].append(
                        {
                            "id": next_id("alert"),
                            "clinic_id": clinic.id,
                            "patient_id": patient_id,
                            "check_in_id": check_in_id,
                            "level": level,
                            "reasons": reasons,
                            "created_at": received,
                            "acknowledged_at": None if is_open else received + timedelta(minutes=9),
                            "acknowledged_by_id": None if is_open else clinician.id,
                            "acknowledgement_note": "" if is_open else "Called the patient.",
                        }
                    )
                    size.open_alerts += is_open
            # Two visits after the series, and for a third of the patients one still to come.
            visits = [
                ("follow_up", last_infusion + timedelta(days=7)),
                ("integration", last_infusion + timedelta(days=12)),
            ]
            if rnd.random() < 0.33:
                visits.append(("booster", now + timedelta(days=rnd.uniform(1, 30))))
            for kind, starts in visits:
                appointment_id = next_id("appointment")
                starts = starts.replace(minute=0, second=0, microsecond=0)
                cancelled = starts - timedelta(days=2) if rnd.random() < 0.05 else None
                rows[Appointment].append(
                    {
                        "id": appointment_id,
                        "clinic_id": clinic.id,
                        "patient_id": patient_id,
                        "kind": kind,
                        "starts_at": starts,
                        "duration_minutes": 60,
                        "created_by_id": clinician.id,
                        "created_at": starts - timedelta(days=14),
                        "updated_at": starts - timedelta(days=14),
                        "cancelled_at": cancelled,
                    }
                )
                for hours_before in (24, 2):
                    due = starts - timedelta(hours=hours_before)
                    if cancelled is not None:
                        state = "cancelled"
                    elif due > now:
                        state = "pending"
                    else:
                        state = "delivered"
                    reminder_id = next_id("reminder")
                    rows[Reminder].append(
                        reminder_row(
                            reminder_id,
                            clinic.id,
                            patient_id,
                            f"before_{hours_before}h",
                            due,
                            starts,
                            state,
                        )
                        | {"infusion_id": None, "appointment_id": appointment_id}
                    )
                    if state == "delivered":
                        rows[Delivery].append(delivery_row(reminder_id, due))
            latest = max(check_ins)[0]
            rows[Patient].append(
                {
                    "id": patient_id,
                    "clinic_id": clinic.id,
                    "display_name": f"Patient {patient_id:05d}",
                    "created_at": start - timedelta(days=1),
                    "last_check_in_at": latest,
                    "last_triage_level": last_level,
                    "last_infusion_at": last_infusion,
                }
            )
            size.check_ins += len(check_ins)
        # Parents before children, one transaction per batch of patients.
        for model, batch in rows.items():
            insert_rows(model.__table__, batch)
            size.rows += len(batch)
        db.session.commit()
    size.alerts = ids["alert"]
    check_stored(size, now)
    return max(1, size.patients // 2)


def check_stored(size: Size, now: datetime) -> None:
    """Read back through the models: the plain values are what SQLAlchemy would have written."""
    from sqlalchemy import func, select

    from aftercare.extensions import db
    from aftercare.models import Alert, CheckIn, Patient

    patient = db.session.get(Patient, 1)
    latest = db.session.scalars(
        select(CheckIn).where(CheckIn.patient_id == 1).order_by(CheckIn.received_at.desc())
    ).first()
    problems = []
    if patient is None or latest is None or patient.last_check_in_at != latest.received_at:
        problems.append("the first patient's last check-in does not read back")
    elif db.session.scalar(select(CheckIn.id).where(CheckIn.received_at == latest.received_at)) != (
        latest.id
    ):
        problems.append("a check-in's time does not compare equal to itself")
    if latest is not None and not isinstance(latest.severities, dict):
        problems.append("severities do not read back as JSON")
    counts = (
        db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.received_at < now)),
        db.session.scalar(select(func.count(Alert.id)).where(Alert.acknowledged_at.is_(None))),
    )
    if counts != (size.check_ins, size.open_alerts):
        problems.append(f"(check-ins before now, open alerts) = {counts}")
    if problems:
        raise RuntimeError("; ".join(problems))


def stored(value: object) -> object:
    """A value as SQLAlchemy stores it in SQLite: naive UTC text, JSON text, 0 or 1."""
    if isinstance(value, datetime):
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return int(value)
    return value


def insert_rows(table: Any, rows: list[dict[str, Any]]) -> None:
    """One executemany of plain values in the session's transaction.

    SQLAlchemy's per-value type processing would take most of the set-up time at 10,000
    patients (about a million rows), so the values are made plain here; every row of a table
    has the same keys. fill() then checks what was stored through the models.
    """
    from sqlalchemy import JSON, Boolean, DateTime, TypeDecorator

    from aftercare.extensions import db

    if not rows:
        return
    given = list(rows[0])
    unknown = set(given) - set(table.columns.keys())
    if unknown:
        raise RuntimeError(f"{table.name} has no columns {sorted(unknown)}")
    # The models' Python-side defaults for the columns not given, as an insert(Model) has them.
    defaults = {
        column.name: stored(
            column.default.arg if column.default.is_scalar else column.default.arg(None)
        )
        for column in table.columns
        if column.name not in given and column.default is not None
    }
    sql = (
        f"INSERT INTO {table.name} ({', '.join([*given, *defaults])}) "
        f"VALUES ({', '.join('?' for _ in [*given, *defaults])})"
    )
    tail = tuple(defaults.values())
    # Convert only the columns that need it: times, JSON and booleans.
    plain = [
        not isinstance(table.columns[name].type, DateTime | JSON | Boolean | TypeDecorator)
        for name in given
    ]
    values = [
        tuple(
            value if keep else stored(value)
            for value, keep in zip(row.values(), plain, strict=True)
        )
        + tail
        for row in rows
    ]
    db.session.connection().exec_driver_sql(sql, values)


def reminder_row(
    reminder_id: int,
    clinic_id: int,
    patient_id: int,
    kind: str,
    due: datetime,
    expires: datetime,
    state: str,
) -> dict[str, Any]:
    finished = state in ("delivered", "expired", "failed", "cancelled")
    return {
        "id": reminder_id,
        "clinic_id": clinic_id,
        "patient_id": patient_id,
        "kind": kind,
        "title": "Appointment reminder" if kind.startswith("before") else "How are you feeling?",
        "body": "A short message about what comes next.",
        "url": "/today" if kind.startswith("before") else "/check-in",
        "due_at": due,
        "expires_at": expires,
        "state": state,
        "next_attempt_at": due,
        "claims": 1 if state in ("delivered", "failed") else 0,
        "attempts": 1 if state in ("delivered", "failed") else 0,
        "delivered_at": due + timedelta(seconds=2) if state == "delivered" else None,
        "finished_at": due + timedelta(seconds=2) if finished else None,
        "last_error": "The push service refused it (400)." if state == "failed" else "",
        "created_at": due - timedelta(days=1),
    }


def delivery_row(reminder_id: int, due: datetime) -> dict[str, Any]:
    return {
        "reminder_id": reminder_id,
        "attempt": 1,
        "sent_at": due + timedelta(seconds=1),
        "status_code": 201,
        "outcome": "delivered",
        "duration_ms": 80,
    }


def sign_in(client: FlaskClient) -> None:
    """Through the real sign-in form, with its CSRF token."""
    page = client.get("/clinic/login")
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page.text
    )
    if match is None:
        raise RuntimeError("no CSRF token on the sign-in page")
    response = client.post(
        "/clinic/login",
        data={"csrf_token": match.group(1), "email": EMAIL, "password": PASSWORD},
    )
    if response.status_code != 302 or not response.headers["Location"].endswith("/clinic/"):
        raise RuntimeError(f"sign-in failed: {response.status_code}")


def check_page(endpoint: str, html: str, size: Size, patient_id: int) -> list[str]:
    """What is wrong with a page, if anything: the benchmark must time the real thing."""
    problems = []
    if endpoint == "dashboard":
        shown = html.count('<li class="alert alert--')
        if shown != min(50, size.open_alerts):
            problems.append(f"{shown} open alerts shown, expected {min(50, size.open_alerts)}")
        rows = len(re.findall(r'<th scope="row"><a href="/clinic/patients/\d+"', html))
        if rows != min(25, size.patients):
            problems.append(f"{rows} patients listed, expected {min(25, size.patients)}")
        total = f"{size.patients} patient{'s' if size.patients != 1 else ''}"
        if total not in html:
            problems.append(f"no '{total}' on the dashboard")
    else:
        if f"Patient {patient_id:05d}" not in html:
            problems.append("the patient's name is not on their page")
        check_ins = html.count("h after infusion</span>")
        if check_ins != 50:
            problems.append(f"{check_ins} check-ins on the patient page, expected 50")
    return problems


@dataclass
class Clinic:
    """A built clinic, its app and a signed-in clinician's test client."""

    app: Flask
    size: Size
    patient_id: int
    client: FlaskClient | None = None

    def urls(self) -> dict[str, str]:
        return {"dashboard": "/clinic/", "patient page": f"/clinic/patients/{self.patient_id}"}


def get(clinic: Clinic, endpoint: str) -> tuple[float, float, str]:
    """One full request through the app: (ms on the clock, CPU ms, the page)."""
    url = clinic.urls()[endpoint]
    cpu_started, started = time.process_time(), time.perf_counter()
    response = clinic.client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    cpu_elapsed = (time.process_time() - cpu_started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code}")
    return elapsed, cpu_elapsed, response.text


def time_pages(clinics: list[Clinic], args: argparse.Namespace) -> list[Timing]:
    """Sign in to each clinic, check and warm up its pages, then time them in turns.

    Each round requests every page of every clinic once, in an order reversed every other
    round, so that a machine whose speed drifts (other processes) weighs on all sizes alike.
    """
    timings = {}
    for clinic in clinics:
        clinic.client = clinic.app.test_client()
        sign_in(clinic.client)
        for endpoint in ENDPOINTS:
            for n in range(max(1, args.warmups)):
                _, _, page = get(clinic, endpoint)
                if n == 0:
                    problems = check_page(endpoint, page, clinic.size, clinic.patient_id)
                    if problems:
                        url = clinic.urls()[endpoint]
                        raise RuntimeError(f"GET {url}: " + "; ".join(problems))
            timings[clinic.size.patients, endpoint] = Timing(clinic.size, endpoint, [], [])
    turns = [(clinic, endpoint) for clinic in clinics for endpoint in ENDPOINTS]
    for round_ in range(args.requests):
        for clinic, endpoint in turns if round_ % 2 == 0 else reversed(turns):
            elapsed, cpu_elapsed, _ = get(clinic, endpoint)
            timing = timings[clinic.size.patients, endpoint]
            timing.samples_ms.append(elapsed)
            timing.cpu_ms.append(cpu_elapsed)
    return list(timings.values())


def build(folder: Path, patients: int, records: Records) -> tuple[Flask, Size, int]:
    """A migrated, filled database in `folder`: (app, what is in it, a patient to look at)."""
    from flask_migrate import upgrade

    from aftercare.extensions import db
    from aftercare.models import utcnow

    size = Size(patients)
    app = make_app(folder)
    started = time.perf_counter()
    with app.app_context():
        log = io.StringIO()
        try:
            with contextlib.redirect_stderr(log):  # Alembic's log of each migration
                upgrade()
        except Exception:
            print(log.getvalue(), file=sys.stderr)
            raise
        patient_id = fill(size, records, utcnow())
        db.session.remove()
    size.build_s = time.perf_counter() - started
    return app, size, patient_id


def run(args: argparse.Namespace) -> list[Timing]:
    """Build every clinic (each in its own temporary folder), then time their pages."""
    from aftercare.extensions import db

    def close(app: Flask) -> None:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # close SQLite before its folder is removed

    with contextlib.ExitStack() as stack:
        clinics = []
        for patients in args.sizes:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="aftercare-bench-"))
            app, size, patient_id = build(Path(folder), patients, Records(args.seed))
            stack.callback(close, app)
            clinics.append(Clinic(app, size, patient_id))
            print(
                f"  {patients:>7,} patients: {size.check_ins:,} check-ins, {size.alerts:,} alerts"
                f" ({size.open_alerts:,} open), {size.rows:,} rows in {size.build_s:.1f} s",
                flush=True,
            )
        print(f"  timing; {load()}", flush=True)
        # No app context is held here: each request gets its own, as in production.
        timings = time_pages(clinics, args)
        print(f"  timed;  {load()}", flush=True)
        return timings


def report(timings: list[Timing], args: argparse.Namespace) -> bool:
    """Print the table and the verdicts; True if both targets were met for every page."""
    # CPU ms: this process's CPU time per request (median). The clock figures also count time
    # spent waiting for a CPU while other processes ran.
    print(f"\n  {'patients':>9}  {'page':<14}{'median ms':>10}{'p90 ms':>9}{'CPU ms':>9}")
    for timing in timings:
        print(
            f"  {timing.size.patients:>9,}  {timing.endpoint:<14}"
            f"{timing.median:>10.1f}{timing.p90:>9.1f}{timing.cpu_median:>9.1f}"
        )
    small, large = min(args.sizes), max(args.sizes)
    met = True
    print()
    for endpoint in ENDPOINTS:
        by_size = {t.size.patients: t for t in timings if t.endpoint == endpoint}
        ratio = by_size[large].median / by_size[small].median
        under = by_size[large].median < MEDIAN_TARGET_MS
        fits = ratio <= RATIO_TARGET
        met = met and under and fits
        print(
            f"  {endpoint:<14} {large:,}/{small:,} median ratio {ratio:.2f}"
            f"  target <= {RATIO_TARGET:.2f}: {'PASS' if fits else 'FAIL'};"
            f"  median at {large:,} {by_size[large].median:.1f} ms"
            f"  target < {MEDIAN_TARGET_MS:.0f} ms: {'PASS' if under else 'FAIL'}"
        )
    return met


def shown(path: str) -> str:
    """A path as typed from the current folder (the repository root, usually)."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    given = sys.argv[1:] if argv is None else argv
    parts = [shown(sys.executable), shown(__file__), *given]
    command = " ".join(shlex.quote(part) for part in parts)
    print(f"dashboard and patient page: clinics of {', '.join(f'{n:,}' for n in args.sizes)}")
    print(f"  machine: {machine()}")
    print(f"  command: {command}")
    print(f"  {args.requests} timed requests per page, in turns, after {args.warmups} warm-ups")
    try:
        timings = run(args)
    except RuntimeError as error:
        print(f"WRONG PAGE OR FAILED SET-UP: {error}")
        return 1
    met = report(timings, args)
    print(f"\n  both targets met for both pages: {'PASS' if met else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
