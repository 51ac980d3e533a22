"""Load on the production layout: patients checking in and clinicians browsing, during a fan-out.

    bash bench/load.sh              # a throwaway PostgreSQL server, then this with its URL
    bash bench/load.sh --quick      # a few seconds, a few users: a smoke run
    .venv/bin/python bench/load.py --database-url postgresql+psycopg://user@host:port/postgres

Everything runs on this machine, each part in its own process as in production: gunicorn
(WEB_CONCURRENCY sync workers) and one `aftercare scheduler` on PostgreSQL, and the local push
receiver (`tests/push_receiver.py`). The benchmark makes a database of its own on the given
server (dropped afterwards), migrates it, and then:

1. Enrolls each simulated patient's phone through the enrollment link: its own device cookie
   and CSRF token.
2. For `--duration` seconds (the mixed phase): the patients open the check-in form and submit
   it, as the page's outbox does (a fresh idempotency key, JSON answer), with a realistic mix of
   answers (about one in ten needs the care team) and think time between requests; now and
   then they open the result or Today. The clinicians sign in and browse: dashboard, patient
   list, a patient's page. At the start of the phase `--reminders` reminders fall due, and the
   scheduler sends them to the push receiver.
3. Saturation phases, closed loops of `--connections` clients with no think time: `GET
   /healthz` and check-in submissions, in turns (healthz, check-in, check-in, healthz), so that
   a machine whose speed drifts weighs on both alike.
4. Checks: no errors; every acknowledged check-in (its idempotency key) is in the database, once;
   every reminder delivered exactly once (the receiver's counts and the database's states).

Targets: no errors, every acknowledged check-in stored, every reminder delivered once, p95
under 300 ms in the mixed phase (overall, and for each kind of request but the sign-in, whose
password hashing is slow by design), and check-in throughput
at saturation at least half that of /healthz. It prints the figures and exits 1 if a target is
missed. The load generator shares the CPUs with everything it measures; its share is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
P95_TARGET_MS = 300.0
# A sign-in checks a password with scrypt, slow on purpose (about 160 ms of CPU time on the
# machine in docs/benchmarks.md): its p95 is shown, and the target holds for everything else.
SLOW_BY_DESIGN = ("sign-in",)
RATIO_TARGET = 0.5
PASSWORD = "correct horse battery staple"
SECRET = "load-benchmark-secret-key"
START_TIMEOUT_S = 120.0
HTTP_TIMEOUT_S = 30.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
UNFINISHED = {"pending", "sending"}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
GRADED = (
    "dissociation",
    "dizziness",
    "nausea",
    "headache",
    "drowsiness",
    "blurred_vision",
    "anxiety",
    "low_mood",
)
# Red flags and the effects the care team must hear about, with how often a check-in ticks them.
FLAGS = (
    ("cannot_keep_fluids", 0.02),
    ("confusion_hallucinations", 0.02),
    ("rash_itching", 0.01),
    ("painful_urination", 0.005),
    ("suicidal_thoughts", 0.01),
    ("chest_pain", 0.01),
    ("trouble_breathing", 0.005),
    ("swelling", 0.003),
    ("fainting", 0.005),
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("AFTERCARE_LOAD_DATABASE_URL"),
        help="a PostgreSQL server (user allowed to create databases); bench/load.sh starts one",
    )
    parser.add_argument("--patients", type=int, default=200, help="simulated patients at once")
    parser.add_argument("--clinicians", type=int, default=10, help="simulated clinicians at once")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of mixed load")
    parser.add_argument("--reminders", type=int, default=5000, help="due at the start")
    parser.add_argument("--workers", type=int, default=3, help="WEB_CONCURRENCY for gunicorn")
    parser.add_argument(
        "--think", type=float, default=4.0, help="a patient's mean pause before a request, s"
    )
    parser.add_argument(
        "--clinician-think", type=float, default=2.0, help="a clinician's mean pause, s"
    )
    parser.add_argument(
        "--saturation", type=float, default=20.0, help="seconds of closed-loop phases in all"
    )
    parser.add_argument("--connections", type=int, default=16, help="closed-loop clients")
    parser.add_argument("--interval", type=int, default=2, help="the scheduler's tick, s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--samples", type=Path, help="write every mixed-phase request to this CSV file"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: seconds, few users")
    args = parser.parse_args(argv)
    if args.quick:
        args.patients, args.clinicians, args.duration, args.reminders = 10, 2, 4.0, 100
        args.workers, args.think, args.clinician_think = 2, 0.5, 0.5
        args.saturation, args.connections, args.interval = 2.0, 4, 1
    if not args.database_url:
        parser.error("give --database-url (a PostgreSQL server), or run bench/load.sh")
    if min(args.patients, args.clinicians, args.reminders, args.workers, args.connections) < 1:
        parser.error("counts must be at least 1")
    return args


# Processes and the machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process, from /proc (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    """The live child processes of `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def machine_busy_seconds() -> float:
    """CPU time every process on the machine has used since boot, from /proc/stat."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / CLOCK_TICKS  # all but idle and iowait


def load_average() -> str:
    return ", ".join(f"{n:.2f}" for n in os.getloadavg())


@contextmanager
def process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A child process with its output in `log`, stopped (SIGTERM, then SIGKILL) at the end."""
    with log.open("wb") as output:
        child = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield child
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(10)


def wait_for(what: str, ready, child: subprocess.Popen, log: Path) -> Any:  # noqa: ANN001
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if child.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{what} exited with {child.returncode}:\n{tail}")
        try:
            if value := ready():
                return value
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start within {START_TIMEOUT_S} s")


def http_json(url: str, method: str = "GET") -> dict[str, Any]:
    data = b"" if method == "POST" else None
    request = urllib.request.Request(url, data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
        body = response.read()
    return json.loads(body) if body else {}


# The database


@contextmanager
def own_database(server_url: str) -> Iterator[str]:
    """A new database on the server for this run, dropped at the end; yields its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"aftercare_load_{os.getpid()}"
    admin_url = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Seeded:
    enrollment_tokens: list[str]
    patient_ids: list[int]  # the simulated patients first, then the reminder patients
    clinician_emails: list[str]


def quiet_hours_away_from(now: datetime, tz: ZoneInfo) -> dict[str, int]:
    """The clinic's quiet hours, half a day from `now`: a run at night must not be held until
    morning (its reminders are about no appointment, so quiet hours would hold them all)."""
    start = (now.astimezone(tz).hour + 12) % 24
    return {"quiet_start": start, "quiet_end": (start + 1) % 24}


def seed(args: argparse.Namespace, subscriptions: list[dict[str, Any]]) -> Seeded:
    """One clinic: clinicians; patients with an infusion and a link; reminder patients."""
    from aftercare.enrollment import create_link
    from aftercare.extensions import db
    from aftercare.models import Clinic, Clinician, Infusion, Patient, utcnow
    from bench.reminded import add_reminded_patients

    rng = random.Random(args.seed)
    now = utcnow()
    clinic = Clinic(
        name="Load Test Clinic",
        timezone="America/Chicago",
        phone="555-0100",
        after_hours_phone="",
        content={"reminders": quiet_hours_away_from(now, ZoneInfo("America/Chicago"))},
    )
    db.session.add(clinic)
    db.session.flush()
    emails = []
    for n in range(args.clinicians):
        clinician = Clinician(
            clinic_id=clinic.id, email=f"nurse{n}@load.test", name=f"Nurse {n}", role="clinician"
        )
        clinician.set_password(PASSWORD)
        db.session.add(clinician)
        emails.append(clinician.email)
    tokens, ids = [], []
    for n in range(args.patients):
        patient = Patient(clinic_id=clinic.id, display_name=f"Patient {n:03d}")
        db.session.add(patient)
        db.session.flush()
        # Infusions that ended from an hour to three days ago: every stretch of the triage rules.
        ended = now - timedelta(hours=rng.uniform(1, 72))
        db.session.add(
            Infusion(
                patient_id=patient.id, started_at=ended - timedelta(minutes=50), ended_at=ended
            )
        )
        patient.note_infusion(ended)
        tokens.append(create_link(patient, None, days=7)[1])
        ids.append(patient.id)
    db.session.commit()

    # Due tomorrow for now; the mixed phase makes them due when it starts.
    reminded = add_reminded_patients(
        clinic.id, subscriptions, due_at=now + timedelta(days=1), name="Reminded"
    )
    db.session.commit()
    return Seeded(tokens, ids + reminded, emails)


def postgres_pid() -> int:
    """The PostgreSQL server's main process: the parent of this connection's backend."""
    from sqlalchemy import text

    from aftercare.extensions import db

    backend = db.session.scalar(text("SELECT pg_backend_pid()"))
    db.session.rollback()
    stat = Path(f"/proc/{backend}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def make_reminders_due() -> datetime:
    """Every reminder falls due now: the start of the mixed phase."""
    from sqlalchemy import update

    from aftercare.extensions import db
    from aftercare.models import Reminder, utcnow

    now = utcnow()
    db.session.execute(
        update(Reminder).values(
            due_at=now, next_attempt_at=now, expires_at=now + timedelta(hours=24)
        )
    )
    db.session.commit()
    return now


def reminder_states() -> dict[str, int]:
    from sqlalchemy import func, select

    from aftercare.extensions import db
    from aftercare.models import Reminder

    db.session.rollback()
    return dict(
        db.session.execute(select(Reminder.state, func.count()).group_by(Reminder.state)).all()
    )


# The clients


@dataclass
class Sample:
    kind: str
    at: float  # seconds since the phase began
    ms: float
    ok: bool


@dataclass
class Recorder:
    started: float = field(default_factory=time.perf_counter)
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)  # idempotency keys answered 2xx
    # Keys sent with no answer (a timeout): stored or not, a phone would send them again.
    unanswered: list[str] = field(default_factory=list)

    async def call(
        self,
        kind: str,
        session,  # noqa: ANN001 (aiohttp.ClientSession)
        method: str,
        url: str,
        expect: tuple[int, ...],
        key: str | None = None,
        **options: Any,
    ) -> tuple[int, str] | None:
        began = time.perf_counter()
        try:
            async with session.request(method, url, allow_redirects=False, **options) as reply:
                body = await reply.text()
                status = reply.status
        except Exception as error:  # a timeout or a refused connection is an error like a 500
            self._note(kind, began, ok=False)
            self.errors.append(f"{kind}: {error!r}")
            if key:
                self.unanswered.append(key)
            return None
        ok = status in expect
        self._note(kind, began, ok)
        if not ok:
            self.errors.append(f"{kind}: {status} {body[:200]!r}")
            return None
        return status, body

    def _note(self, kind: str, began: float, ok: bool) -> None:
        now = time.perf_counter()
        self.samples.append(Sample(kind, began - self.started, (now - began) * 1000, ok))


def answers(rng: random.Random, csrf: str, key: str) -> dict[str, str]:
    """A check-in as a patient fills it in: mostly mild effects, now and then a red flag."""
    form = {"csrf_token": csrf, "idempotency_key": key}
    form["filled_at"] = datetime.now(UTC).isoformat()
    for code in GRADED:
        form[code] = str(rng.choices((0, 1, 2, 3), weights=(55, 25, 14, 6))[0])
    for code, share in FLAGS:
        if rng.random() < share:
            form[code] = "y"
    if rng.random() < 0.3:  # a home blood pressure cuff; now and then a worrying reading
        systolic = rng.choice((118, 126, 134, 142, 150, 165, 182))
        form.update(systolic=str(systolic), diastolic=str(systolic - rng.randint(40, 60)))
        form["heart_rate"] = str(rng.randint(58, 112))
    if rng.random() < 0.5:
        form["slept"] = rng.choice(("yes", "no"))
    if rng.random() < 0.2:
        form["note"] = "Feeling a bit floaty still, otherwise fine."
    return form


async def pause(rng: random.Random, mean: float, end: float) -> bool:
    """Pause for an exponential think time; False if the phase ends first.

    A pause that would outlast the phase waits out the phase instead. (Cutting such pauses
    short made every simulated user send its next request at the very end, all at once.)
    """
    wanted, left = rng.expovariate(1 / mean), end - time.perf_counter()
    await asyncio.sleep(max(0.0, min(wanted, left)))
    return wanted < left


@dataclass
class Phone:
    session: Any  # aiohttp.ClientSession with this phone's cookies
    csrf: str = ""


async def enroll(base: str, token: str, connector, recorder: Recorder) -> Phone:  # noqa: ANN001
    import aiohttp

    session = aiohttp.ClientSession(
        connector=connector,
        connector_owner=False,
        cookie_jar=aiohttp.CookieJar(unsafe=True),  # loopback by IP address
        timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S),
    )
    phone = Phone(session)
    page = await recorder.call("enroll", session, "GET", f"{base}/enroll/{token}", (200,))
    if page is None:
        raise RuntimeError(f"enrollment failed: {recorder.errors[-1]}")
    data = {"csrf_token": CSRF.search(page[1]).group(1)}
    if await recorder.call("enroll", session, "POST", f"{base}/enroll/{token}", (303,), data=data):
        form = await recorder.call("enroll", session, "GET", f"{base}/check-in", (200,))
        if form:
            phone.csrf = CSRF.search(form[1]).group(1)
            return phone
    raise RuntimeError(f"enrollment failed: {recorder.errors[-1]}")


async def submit(
    recorder: Recorder, phone: Phone, base: str, rng: random.Random, kind: str = "check-in"
) -> str | None:
    """Send a check-in the way the page's outbox does; the result page's address if taken."""
    key = uuid.uuid4().hex
    reply = await recorder.call(
        kind,
        phone.session,
        "POST",
        f"{base}/check-in",
        (201,),
        key=key,
        data=answers(rng, phone.csrf, key),
        headers={"Accept": "application/json"},
    )
    if reply is None:
        return None
    recorder.acknowledged.append(key)
    return json.loads(reply[1])["result_url"]


async def patient_loop(
    recorder: Recorder, phone: Phone, base: str, rng: random.Random, think: float, end: float
) -> None:
    """Open the form, fill it in, send it; now and then read the result or Today."""
    # The first pause is spread over a whole cycle, so that patients do not start in step.
    await asyncio.sleep(rng.uniform(0, 2 * think))
    while time.perf_counter() < end:
        page = await recorder.call(
            "check-in form", phone.session, "GET", f"{base}/check-in", (200,)
        )
        if page is not None:
            phone.csrf = CSRF.search(page[1]).group(1)
        if not await pause(rng, think, end):
            return
        result = await submit(recorder, phone, base, rng)
        if result and rng.random() < 0.3:
            if not await pause(rng, think / 2, end):
                return
            await recorder.call("result", phone.session, "GET", base + result, (200,))
        if rng.random() < 0.3:
            if not await pause(rng, think, end):
                return
            await recorder.call("today", phone.session, "GET", f"{base}/today", (200,))
        if not await pause(rng, think, end):
            return


async def clinician_loop(
    recorder: Recorder,
    base: str,
    email: str,
    patient_ids: list[int],
    connector,  # noqa: ANN001
    rng: random.Random,
    think: float,
    end: float,
) -> None:
    """Sign in, then browse: dashboard, the patient list, a patient; sign in afresh now and then."""
    import aiohttp

    # Spread over a round of three pages, as the patients' first pauses over a cycle: ten
    # clinicians signing in within the same two seconds kept both CPUs busy hashing passwords.
    await asyncio.sleep(rng.uniform(0, 3 * think))
    while time.perf_counter() < end:
        async with aiohttp.ClientSession(
            connector=connector,
            connector_owner=False,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S),
        ) as session:
            page = await recorder.call(
                "sign-in page", session, "GET", f"{base}/clinic/login", (200,)
            )
            if page is None:
                if not await pause(rng, think, end):
                    return
                continue
            form = {"csrf_token": CSRF.search(page[1]).group(1), "email": email}
            form["password"] = PASSWORD
            signed_in = await recorder.call(
                "sign-in", session, "POST", f"{base}/clinic/login", (302,), data=form
            )
            if signed_in is None:
                if not await pause(rng, think, end):
                    return
                continue
            for _ in range(rng.randint(4, 8)):
                if not await pause(rng, think, end):
                    return
                await recorder.call("dashboard", session, "GET", f"{base}/clinic/", (200,))
                if not await pause(rng, think, end):
                    return
                listing = rng.choice(
                    (
                        f"?sort=recent&page={rng.randint(1, 5)}",
                        f"?sort=name&page={rng.randint(1, 200)}",
                        f"?q=Patient+{rng.randint(0, 199):03d}",
                        "?sort=triage&page=2",
                    )
                )
                await recorder.call(
                    "patient list", session, "GET", f"{base}/clinic/{listing}", (200,)
                )
                if not await pause(rng, think, end):
                    return
                patient = rng.choice(patient_ids)
                await recorder.call(
                    "patient page", session, "GET", f"{base}/clinic/patients/{patient}", (200,)
                )


async def closed_loop(
    recorder: Recorder, kind: str, base: str, phones: list[Phone], connections: int, seconds: float
) -> tuple[int, float]:
    """`connections` clients, each sending its next request as soon as the last is answered."""
    rng = random.Random(kind)
    end = time.perf_counter() + seconds
    done = 0

    async def client(n: int) -> None:
        nonlocal done
        mine = phones[n::connections] or phones
        turn = 0
        while time.perf_counter() < end:
            phone = mine[turn % len(mine)]
            turn += 1
            if kind == "healthz":
                reply = await recorder.call(kind, phone.session, "GET", f"{base}/healthz", (200,))
            else:
                reply = await submit(recorder, phone, base, rng, kind=kind)
            if reply is not None:
                done += 1

    began = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(connections)))
    return done, time.perf_counter() - began


@dataclass
class Outcome:
    mixed: Recorder
    saturation: Recorder
    rates: dict[str, list[tuple[int, float]]]
    # CPU-seconds each process group used in the saturation turns, by kind of request.
    turn_cpu: dict[str, dict[str, float]]
    phones: int
    mixed_seconds: float


async def drive(
    args: argparse.Namespace,
    base: str,
    seeded: Seeded,
    start_fan_out,  # noqa: ANN001
    cpu_now,  # noqa: ANN001 (CPU-seconds so far of each process group)
) -> Outcome:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    setup = Recorder()
    # Enrolled a few at a time, as phones are at a clinic: this is not measured.
    semaphore = asyncio.Semaphore(8)

    async def enroll_one(token: str) -> Phone:
        async with semaphore:
            return await enroll(base, token, connector, setup)

    phones = await asyncio.gather(*(enroll_one(token) for token in seeded.enrollment_tokens))
    rng = random.Random(args.seed)
    mixed = Recorder()
    start_fan_out()
    end = mixed.started + args.duration
    tasks = [
        patient_loop(mixed, phone, base, random.Random(rng.random()), args.think, end)
        for phone in phones
    ]
    tasks += [
        clinician_loop(
            mixed,
            base,
            email,
            seeded.patient_ids,
            connector,
            random.Random(rng.random()),
            args.clinician_think,
            end,
        )
        for email in seeded.clinician_emails
    ]
    await asyncio.gather(*tasks)
    mixed_seconds = time.perf_counter() - mixed.started

    saturation = Recorder()
    rates: dict[str, list[tuple[int, float]]] = defaultdict(list)
    turn_cpu: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    quarter = args.saturation / 4
    for kind in ("healthz", "check-in (closed loop)", "check-in (closed loop)", "healthz"):
        before = cpu_now()
        rates[kind].append(
            await closed_loop(saturation, kind, base, phones, args.connections, quarter)
        )
        for name, seconds in cpu_now().items():
            turn_cpu[kind][name] += seconds - before.get(name, 0.0)
    for phone in phones:
        await phone.session.close()
    await connector.close()
    return Outcome(mixed, saturation, rates, turn_cpu, len(phones), mixed_seconds)


# Checks and figures


def check_check_ins(acknowledged: list[str], unanswered: list[str]) -> list[str]:
    """Every acknowledged check-in is in the database, once; nothing that was not sent is."""
    from sqlalchemy import func, select

    from aftercare.extensions import db
    from aftercare.models import CheckIn

    db.session.rollback()
    stored = set(db.session.scalars(select(CheckIn.idempotency_key)))
    rows = db.session.scalar(select(func.count(CheckIn.id)))
    problems = []
    missing = set(acknowledged) - stored
    if missing:
        problems.append(f"{len(missing)} acknowledged check-ins are not in the database")
    if len(set(acknowledged)) != len(acknowledged):
        problems.append("a key was acknowledged twice")
    if rows != len(stored) or stored - set(acknowledged) - set(unanswered):
        problems.append(f"{rows} check-in rows for {len(acknowledged)} acknowledged")
    return problems


def check_reminders(origin: str, reminders: int) -> list[str]:
    """Each reminder delivered exactly once: on the receiver and in the database."""
    from bench.checks import reminders_delivered_once

    return reminders_delivered_once(http_json(f"{origin}/_stats"), reminders)


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values."""
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]


def latency_rows(
    samples: list[Sample], seconds: float | dict[str, float]
) -> list[tuple[str, int, float, list[float]]]:
    """(kind, count, per second, sorted milliseconds) for each kind of request, then all."""
    by_kind: dict[str, list[float]] = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample.ms)
    rows = []
    for kind, values in sorted(by_kind.items(), key=lambda item: -len(item[1])):
        values.sort()
        took = seconds[kind] if isinstance(seconds, dict) else seconds
        rows.append((kind, len(values), len(values) / took, values))
    if not isinstance(seconds, dict):
        every = sorted(s.ms for s in samples)
        rows.append(("all", len(every), len(every) / seconds, every))
    return rows


def print_latencies(
    title: str, samples: list[Sample], seconds: float | dict[str, float]
) -> dict[str, float]:
    """A table of requests per second and p50/p95/p99; returns each kind's p95, and all's."""
    print(f"\n  {title}")
    columns = ("count", 7), ("per s", 8), ("p50 ms", 9), ("p95 ms", 9), ("p99 ms", 9)
    print(
        f"  {'request':<24}" + "".join(f"{name:>{width}}" for name, width in columns) + "  errors"
    )
    failed: dict[str, int] = defaultdict(int)
    for sample in samples:
        if not sample.ok:
            failed[sample.kind] += 1
            failed["all"] += 1
    p95s = {}
    for kind, count, rate, values in latency_rows(samples, seconds):
        p50, p95, p99 = (percentile(values, q) for q in (0.5, 0.95, 0.99))
        p95s[kind] = p95
        print(
            f"  {kind:<24}{count:>7,}{rate:>8.1f}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}"
            f"{failed.get(kind, 0):>8}"
        )
    return p95s


# The run


@dataclass
class Processes:
    gunicorn: subprocess.Popen
    scheduler: subprocess.Popen
    receiver: subprocess.Popen
    origin: str  # the receiver's
    subscriptions: list[dict[str, Any]]


def start_processes(
    stack: ExitStack, args: argparse.Namespace, env: dict[str, str], folder: Path, key: str
) -> Processes:
    """The receiver, the migrations, gunicorn and the scheduler, started side by side."""
    receiver_out = folder / "receiver.json"
    # The receiver stands for the push services, which run on other machines: it gets what
    # CPU the production layout leaves (the scheduler lowers its own priority likewise).
    receiver_command = ["nice", "-n", "10", sys.executable, "-m", "tests.push_receiver"]
    receiver_command += ["--vapid-public-key", key]
    receiver_command += ["--subscriptions", str(args.reminders), "--out", str(receiver_out)]
    receiver = stack.enter_context(
        process(receiver_command, {**env, "PYTHONPATH": str(ROOT)}, folder / "receiver.log")
    )
    # As in production: `aftercare db upgrade` once, before the rest starts.
    with (folder / "migrations.log").open("wb") as log:
        subprocess.run(
            [str(BIN / "aftercare"), "db", "upgrade"], env=env, stdout=log, stderr=log, check=True
        )
    gunicorn = stack.enter_context(
        process(
            [str(BIN / "gunicorn"), "-c", "python:aftercare.gunicorn_conf", "aftercare.wsgi:app"],
            env,
            folder / "gunicorn.log",
        )
    )
    scheduler = stack.enter_context(
        process([str(BIN / "aftercare"), "scheduler"], env, folder / "scheduler.log")
    )
    info = wait_for(
        "the push receiver",
        lambda: receiver_out.exists() and json.loads(receiver_out.read_text()),
        receiver,
        folder / "receiver.log",
    )
    return Processes(gunicorn, scheduler, receiver, info["origin"], info["subscriptions"])


def wait_until_served(processes: Processes, base: str, folder: Path) -> None:
    wait_for(
        "gunicorn",
        lambda: http_json(f"{base}/healthz").get("status") == "ok",
        processes.gunicorn,
        folder / "gunicorn.log",
    )
    wait_for(
        "the scheduler",
        lambda: "sending due reminders" in (folder / "scheduler.log").read_text(),
        processes.scheduler,
        folder / "scheduler.log",
    )


def wait_for_fan_out(reminders: int) -> None:
    """The fan-out overlaps the mixed phase; wait (at most 5 minutes) for the last reminder."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        states = reminder_states()
        if states.get("delivered", 0) >= reminders or set(states) - UNFINISHED - {"delivered"}:
            return  # all delivered, or some never will be
        time.sleep(0.5)


def run(args: argparse.Namespace, folder: Path, database_url: str) -> int:
    os.environ.update(
        AFTERCARE_DATA_DIR=str(folder),
        AFTERCARE_SECRET_KEY=SECRET,
        DATABASE_URL=database_url,
        AFTERCARE_DEMO="0",
        AFTERCARE_PUSH_ALLOW_LOOPBACK_HTTP="1",
    )
    from aftercare import create_app
    from aftercare.extensions import db
    from aftercare.reminders.push_subscriptions import vapid_public_key

    app = create_app()
    port = free_port()
    env = {
        **os.environ,
        "AFTERCARE_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(args.workers),
        "AFTERCARE_SCHEDULER_INTERVAL_SECONDS": str(args.interval),
        "PYTHONUNBUFFERED": "1",
    }
    base = f"http://127.0.0.1:{port}"
    with app.app_context(), ExitStack() as stack:
        processes = start_processes(stack, args, env, folder, vapid_public_key(app))
        gunicorn, scheduler, receiver = processes.gunicorn, processes.scheduler, processes.receiver
        origin = processes.origin
        seeded = seed(args, processes.subscriptions)
        wait_until_served(processes, base, folder)
        workers = children(gunicorn.pid)
        postmaster = postgres_pid()
        groups = {
            "gunicorn": lambda: [gunicorn.pid, *children(gunicorn.pid)],
            "PostgreSQL": lambda: [postmaster, *children(postmaster)],
            "scheduler": lambda: [scheduler.pid],
            "push receiver": lambda: [receiver.pid],
            "load generator": lambda: [os.getpid()],
        }
        before_cpu = {
            name: {pid: cpu_seconds(pid) for pid in pids()} for name, pids in groups.items()
        }
        before_busy, began = machine_busy_seconds(), time.monotonic()
        load_before = load_average()
        fan_out: dict[str, float] = {}

        def start_fan_out() -> None:
            fan_out["due_at"] = make_reminders_due().timestamp()
            fan_out["due_clock"] = time.perf_counter()

        print(
            f"  {args.patients} patients, {args.clinicians} clinicians for {args.duration:g} s; "
            f"{args.reminders:,} reminders due at the start; gunicorn {args.workers} sync workers"
        )

        def cpu_now() -> dict[str, float]:
            return {name: sum(map(cpu_seconds, pids())) for name, pids in groups.items()}

        outcome = asyncio.run(drive(args, base, seeded, start_fan_out, cpu_now))
        # A process that started during the run counts from zero; one that ended is not counted.
        cpu = {
            name: sum(cpu_seconds(pid) - before_cpu[name].get(pid, 0.0) for pid in pids())
            for name, pids in groups.items()
        }
        busy = machine_busy_seconds() - before_busy
        elapsed = time.monotonic() - began
        load_after = load_average()

        wait_for_fan_out(args.reminders)
        stats = http_json(f"{origin}/_stats")
        problems = {
            "reminders": check_reminders(origin, args.reminders),
            "check-ins": check_check_ins(
                outcome.mixed.acknowledged + outcome.saturation.acknowledged,
                outcome.mixed.unanswered + outcome.saturation.unanswered,
            ),
            "processes": [],
        }
        alive = {"gunicorn": gunicorn, "scheduler": scheduler, "push receiver": receiver}
        for name, child in alive.items():
            if child.poll() is not None:
                problems["processes"].append(f"{name} exited with {child.returncode}")
        if set(children(gunicorn.pid)) != set(workers):
            problems["processes"].append("gunicorn replaced a worker during the run")
        db.session.remove()
        db.engine.dispose()

    machine = {"busy": busy, "elapsed": elapsed}
    return report(args, outcome, stats, fan_out, cpu, machine, (load_before, load_after), problems)


def report(
    args: argparse.Namespace,
    outcome: Outcome,
    stats: dict[str, Any],
    fan_out: dict[str, float],
    cpu: dict[str, float],
    machine: dict[str, float],
    loads: tuple[str, str],
    problems: dict[str, list[str]],
) -> int:
    mixed, saturation = outcome.mixed, outcome.saturation
    p95s = print_latencies(
        f"mixed phase: {outcome.mixed_seconds:.1f} s, {outcome.phones} phones, "
        f"{args.clinicians} clinicians (think {args.think:g} s / {args.clinician_think:g} s)",
        mixed.samples,
        outcome.mixed_seconds,
    )
    if args.samples:
        with args.samples.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(("kind", "started_s", "ms", "ok"))
            writer.writerows((s.kind, f"{s.at:.3f}", f"{s.ms:.1f}", s.ok) for s in mixed.samples)
    check_ins = sum(1 for s in mixed.samples if s.kind == "check-in" and s.ok)
    print(f"  {'check-ins acknowledged':<24}{check_ins:>7,}")
    # What the mix costs, whatever else the machine runs: the saturation turns' share removed.
    mixed_cpu = {
        name: seconds - sum(turn.get(name, 0.0) for turn in outcome.turn_cpu.values())
        for name, seconds in cpu.items()
    }
    requests = len(mixed.samples) or 1
    server = mixed_cpu.get("gunicorn", 0.0) + mixed_cpu.get("PostgreSQL", 0.0)
    everything = sum(mixed_cpu.values())
    print(
        f"  {'CPU a request':<24}{server / requests * 1000:>7.1f} ms in gunicorn and PostgreSQL; "
        f"{everything / requests * 1000:.1f} ms with the scheduler, receiver and client"
    )
    cpus = os.cpu_count() or 1
    print(
        f"  {'capacity, by CPU':<24}{cpus * requests / everything if everything else 0:>7.0f} "
        f"requests/s of this mix, if these processes had the {cpus} CPUs to themselves"
    )

    rates = {
        kind: sum(n for n, _ in runs) / sum(s for _, s in runs)
        for kind, runs in outcome.rates.items()
    }
    healthz, checkin = rates["healthz"], rates["check-in (closed loop)"]
    ratio = checkin / healthz if healthz else 0.0
    print_latencies(
        f"saturation: {args.connections} closed-loop clients, two turns of "
        f"{args.saturation / 4:g} s each",
        saturation.samples,
        {kind: sum(s for _, s in runs) for kind, runs in outcome.rates.items()},
    )
    print(f"  {'check-in / healthz':<24}{ratio:>7.2f}   target >= {RATIO_TARGET}")
    # The clock figures depend on what else the machine runs; CPU time per request does not.
    costs = {}
    for kind, label in (("healthz", "healthz"), ("check-in (closed loop)", "check-in")):
        done = sum(n for n, _ in outcome.rates[kind]) or 1
        used = outcome.turn_cpu[kind]
        server = used.get("gunicorn", 0.0) + used.get("PostgreSQL", 0.0)
        costs[label] = server / done
        print(
            f"  {label + ', CPU':<24}{server / done * 1000:>7.2f} ms a request in gunicorn and "
            f"PostgreSQL; {used.get('load generator', 0.0) / done * 1000:.2f} ms in the client"
        )
    if costs["check-in"]:
        print(f"  {'healthz / check-in CPU':<24}{costs['healthz'] / costs['check-in']:>7.2f}")

    if stats.get("first_at") and stats.get("last_at"):
        spread = stats["last_at"] - fan_out["due_at"]
        print(
            f"\n  fan-out: {stats['received']:,} of {args.reminders:,} reminders at the receiver, "
            f"the last {spread:.1f} s after they fell due"
        )
        # The fan-out takes CPU from the web: the mixed phase's p95 while it ran, and after.
        ends = fan_out["due_clock"] - mixed.started + spread
        during = sorted(s.ms for s in mixed.samples if s.at < ends)
        after = sorted(s.ms for s in mixed.samples if s.at >= ends)
        for label, values in (("while it was sent", during), ("after it", after)):
            if values:
                print(
                    f"  {'p95 ' + label:<24}{percentile(values, 0.95):>7.0f} ms "
                    f"({len(values):,} requests)"
                )
    cpus, busy = os.cpu_count() or 1, machine["busy"]
    print(
        f"\n  CPU time during the mixed and saturation phases: {machine['elapsed']:.0f} s x "
        f"{cpus} CPUs, of which {busy:.0f} CPU-seconds busy"
    )
    for name, seconds in cpu.items():
        print(f"  {name:<24}{seconds:>8.1f} s  {seconds / busy:>5.0%}")
    others = max(0.0, busy - sum(cpu.values()))
    print(
        f"  {'other processes':<24}{others:>8.1f} s  {others / busy:>5.0%}  (not this benchmark's)"
    )
    print(f"  load average before: {loads[0]}; after: {loads[1]}")

    errors = mixed.errors + saturation.errors + problems["processes"]
    verdicts = [
        ("no errors", errors),
        ("every acknowledged check-in stored, once", problems["check-ins"]),
        ("every reminder delivered exactly once", problems["reminders"]),
        (
            f"p95 under {P95_TARGET_MS:.0f} ms in the mixed phase: all requests, and each kind "
            f"but {', '.join(SLOW_BY_DESIGN)} (slow by design)",
            [
                f"{kind}: {p95:.0f} ms"
                for kind, p95 in p95s.items()
                if p95 >= P95_TARGET_MS and kind not in SLOW_BY_DESIGN
            ],
        ),
        (
            f"check-in / healthz at least {RATIO_TARGET}",
            [] if ratio >= RATIO_TARGET else [f"{ratio:.2f}"],
        ),
    ]
    print()
    for name, found in verdicts:
        print(f"  {'FAIL' if found else 'PASS'}  {name}")
        for line in found[:10]:
            print(f"        {line}")
        if len(found) > 10:
            print(f"        ... and {len(found) - 10} more")
    return 1 if any(found for _, found in verdicts) else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"load: gunicorn + PostgreSQL + scheduler + push receiver on this machine "
        f"({os.cpu_count()} CPUs, load average {load_average()})"
    )
    with (
        tempfile.TemporaryDirectory(prefix="aftercare-load-") as folder,
        own_database(args.database_url) as database_url,
    ):
        return run(args, Path(folder), database_url)


if __name__ == "__main__":
    sys.exit(main())
