"""Push fan-out: reminders due at once, sent to a local push receiver in its own process.

    .venv/bin/python bench/push_fanout.py              # 5,000 reminders
    .venv/bin/python bench/push_fanout.py --quick      # 200: a smoke run

It times `send_due_reminders()` end to end (claim, encrypt, send, record) and checks that every
reminder was delivered exactly once, on the receiver and in the database. In the same run it
measures two yardsticks on the same subscriptions: pywebpush's encryption alone
(`WebPusher(sub).encode(...)` in a loop) and a plain `pywebpush.webpush()` loop against the same
receiver. The target is deliveries of at least half the encryption-only rate.

Exits 1 if a reminder was lost, refused or sent twice. The speed verdict is printed, not
enforced: timings belong here, not in the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from aftercare.reminders.sender import PassSummary

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET = 0.5  # deliveries per second, as a share of the encryption-only rate
RECEIVER_START_S = 120.0  # the receiver makes a P-256 key per subscription before it listens
RECEIVER_STOP_S = 10.0
HTTP_TIMEOUT_S = 10.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Timed:
    """How long `count` operations took, on the clock and in this process's CPU time."""

    count: int
    seconds: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def __add__(self, other: Timed) -> Timed:
        return Timed(
            self.count + other.count,
            self.seconds + other.seconds,
            self.cpu_seconds + other.cpu_seconds,
        )


@dataclass
class Figures:
    fanout: Timed
    encryption: Timed
    webpush: Timed
    http: Timed  # already encrypted bodies POSTed, the HTTP part alone
    receiver_cpu_s: float  # the receiver process's CPU time during the fan-out
    receiver_http_cpu_s: float  # ... and during the HTTP-alone loop
    machine_busy_s: float = 0.0  # every process's CPU time during the fan-out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=5000, help="reminders due at once")
    parser.add_argument("--encrypt", type=int, default=2000, help="encryption-only iterations")
    parser.add_argument("--webpush", type=int, default=300, help="plain webpush() iterations")
    parser.add_argument("--batch-size", type=int, help="PUSH_BATCH_SIZE (default: the app's)")
    parser.add_argument("--concurrency", type=int, help="PUSH_CONCURRENCY (default: the app's)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 200 reminders")
    args = parser.parse_args(argv)
    if args.quick:
        args.reminders, args.encrypt, args.webpush = 200, 200, 30
    if min(args.reminders, args.encrypt, args.webpush) < 2:
        parser.error("counts must be at least 2")
    return args


def machine_busy_seconds() -> float:
    """CPU time every process on the machine has used since boot, from /proc/stat."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / CLOCK_TICKS  # all but idle and iowait


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@contextmanager
def receiver_process(
    public_key: str, subscriptions: int, folder: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str, list[dict[str, Any]]]]:
    """The local push receiver in its own process: (process, origin, subscriptions)."""
    out, log_path = folder / "receiver.json", folder / "receiver.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.push_receiver",
                "--vapid-public-key",
                public_key,
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--subscriptions",
                str(subscriptions),
                "--out",
                str(out),
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + RECEIVER_START_S
        while not out.exists():
            if process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the receiver exited with {process.returncode}:\n{tail}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the receiver did not start within {RECEIVER_START_S} s")
            time.sleep(0.05)
        info = json.loads(out.read_text())
        yield process, info["origin"], info["subscriptions"]
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(RECEIVER_STOP_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(RECEIVER_STOP_S)


def receiver_call(origin: str, path: str, method: str = "GET") -> dict[str, Any]:
    """GET /_stats or POST /_reset on the receiver."""
    data = b"" if method == "POST" else None
    request = urllib.request.Request(origin + path, data=data, method=method)
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
        body = response.read()
    return json.loads(body) if body else {}


def make_app(folder: Path, args: argparse.Namespace) -> Flask:
    # load_config() reads the environment before these settings are laid over it: keep it
    # away from the developer's instance/ folder and database.
    os.environ["AFTERCARE_DATA_DIR"] = str(folder)
    os.environ["AFTERCARE_SECRET_KEY"] = "bench-secret-key"
    os.environ.pop("DATABASE_URL", None)
    from aftercare import create_app

    config: dict[str, Any] = {
        "SECRET_KEY": "bench-secret-key",
        "DATA_DIR": folder,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'aftercare.sqlite3'}",
        "DEMO": False,
        "PUSH_ALLOW_LOOPBACK_HTTP": True,  # the local receiver speaks plain HTTP on loopback
    }
    if args.batch_size:
        config["PUSH_BATCH_SIZE"] = args.batch_size
    if args.concurrency:
        config["PUSH_CONCURRENCY"] = args.concurrency
    return create_app(config)


def add_due_reminders(subscriptions: list[dict[str, Any]]) -> None:
    """One clinic; one patient per subscription, each with one reminder due now."""
    from aftercare.extensions import db
    from aftercare.models import Clinic, utcnow
    from bench.reminded import add_reminded_patients

    clinic = Clinic(name="Benchmark Clinic", timezone="America/New_York", phone="555-0100")
    db.session.add(clinic)
    db.session.flush()
    add_reminded_patients(
        clinic.id, subscriptions, due_at=utcnow() - timedelta(seconds=1), name="Patient"
    )
    db.session.commit()


def payload_like_a_reminder(n: int) -> bytes:
    """JSON of the same shape and size as the sender encrypts for a reminder."""
    return json.dumps(
        {
            "title": "Appointment reminder",
            "body": "You have an appointment today at 3:00 PM.",
            "url": "/today",
            "tag": f"reminder-{n}",
        },
        separators=(",", ":"),
    ).encode()


def check_exactly_once(origin: str, reminders: int, summary: PassSummary) -> list[str]:
    """What went wrong, if anything: each reminder delivered once, on the receiver and on record."""
    from bench.checks import reminders_delivered_once

    problems = reminders_delivered_once(receiver_call(origin, "/_stats"), reminders)
    if summary.delivered != reminders or summary.claimed != reminders:
        problems.append(f"the pass reported {summary}")
    return problems


def time_encryption(
    subscriptions: list[dict[str, Any]], start: int, count: int
) -> tuple[Timed, list[tuple[dict[str, Any], bytes]]]:
    """pywebpush's encryption alone, `WebPusher(sub).encode(...)`; also the bodies it made."""
    from pywebpush import WebPusher

    jobs = [
        (subscriptions[n % len(subscriptions)], payload_like_a_reminder(n))
        for n in range(start, start + count)
    ]
    bodies = []
    cpu, started = time.process_time(), time.perf_counter()
    for subscription, payload in jobs:
        bodies.append((subscription, WebPusher(subscription).encode(payload, "aes128gcm")["body"]))
    return Timed(count, time.perf_counter() - started, time.process_time() - cpu), bodies


def time_http_only(
    bodies: list[tuple[dict[str, Any], bytes]], authorization: str, concurrency: int
) -> Timed:
    """The HTTP part alone: already encrypted bodies POSTed over one aiohttp session."""
    import asyncio

    import aiohttp

    async def post_all() -> list[int]:
        statuses: list[int] = []
        queue = iter(enumerate(bodies))
        connector = aiohttp.TCPConnector(limit=concurrency)
        timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

            async def worker() -> None:
                for n, (subscription, body) in queue:
                    headers = {
                        "Authorization": authorization,
                        "TTL": "3600",
                        "Content-Encoding": "aes128gcm",
                        "Urgency": "high",
                        "Topic": f"h{n}",
                    }
                    async with session.post(
                        subscription["endpoint"], data=body, headers=headers
                    ) as response:
                        await response.read()
                        statuses.append(response.status)

            await asyncio.gather(*(worker() for _ in range(min(concurrency, len(bodies)))))
        return statuses

    cpu, started = time.process_time(), time.perf_counter()
    statuses = asyncio.run(post_all())
    timed = Timed(len(bodies), time.perf_counter() - started, time.process_time() - cpu)
    if set(statuses) != {201}:
        raise RuntimeError(f"HTTP alone: answers {sorted(set(statuses))}, expected only 201")
    return timed


def time_plain_webpush(
    subscriptions: list[dict[str, Any]], count: int, vapid: object, subject: str, origin: str
) -> Timed:
    """A plain `webpush()` loop: one request at a time, a new connection and token each."""
    from pywebpush import webpush

    jobs = [
        (subscriptions[n % len(subscriptions)], payload_like_a_reminder(n).decode())
        for n in range(count)
    ]
    cpu, started = time.process_time(), time.perf_counter()
    for subscription, payload in jobs:
        webpush(
            subscription_info=subscription,
            data=payload,
            vapid_private_key=vapid,  # the loaded key, so no key parsing is counted
            vapid_claims={"sub": subject, "aud": origin},
            content_encoding="aes128gcm",
            ttl=3600,
            timeout=HTTP_TIMEOUT_S,
        )  # raises WebPushException on any answer but 2xx
    return Timed(count, time.perf_counter() - started, time.process_time() - cpu)


def run(args: argparse.Namespace, folder: Path) -> tuple[Figures, str] | None:
    """Everything measured in one run; None if a reminder was not delivered exactly once."""
    from aftercare.extensions import db

    app = make_app(folder, args)
    config = app.config
    settings = f"PUSH_BATCH_SIZE {config['PUSH_BATCH_SIZE']}, "
    settings += f"PUSH_CONCURRENCY {config['PUSH_CONCURRENCY']}"
    with app.app_context():
        try:
            return measure(args, app, settings)
        finally:
            db.session.remove()
            db.engine.dispose()  # close SQLite before its folder is removed


def measure(args: argparse.Namespace, app: Flask, settings: str) -> tuple[Figures, str] | None:
    """Set up, fan out, check, then the two yardsticks; None if not delivered exactly once."""
    from flask_migrate import upgrade

    from aftercare.reminders.push_subscriptions import make_sender, vapid_for, vapid_public_key
    from aftercare.reminders.sender import send_due_reminders

    config = app.config
    upgrade()
    with receiver_process(vapid_public_key(app), args.reminders, config["DATA_DIR"]) as (
        process,
        origin,
        subscriptions,
    ):
        add_due_reminders(subscriptions)
        # Half the encryption loop before the fan-out and half after, so that a machine
        # whose speed drifts during the run weighs on both sides of the ratio alike.
        encryption, bodies = time_encryption(subscriptions, 0, args.encrypt // 2)

        batches = -(-args.reminders // config["PUSH_BATCH_SIZE"])
        receiver_cpu, machine_busy = cpu_seconds(process.pid), machine_busy_seconds()
        cpu, started = time.process_time(), time.perf_counter()
        summary = send_due_reminders(max_batches=batches + 1)
        fanout = Timed(args.reminders, time.perf_counter() - started, time.process_time() - cpu)
        machine_busy = machine_busy_seconds() - machine_busy
        receiver_cpu = cpu_seconds(process.pid) - receiver_cpu

        problems = check_exactly_once(origin, args.reminders, summary)
        if problems:
            print("NOT DELIVERED EXACTLY ONCE:", *problems, sep="\n  ")
            return None
        print(f"  all {args.reminders:,} delivered exactly once (receiver and database)")

        half = args.encrypt // 2
        second, more_bodies = time_encryption(subscriptions, half, args.encrypt - half)
        encryption += second
        bodies += more_bodies

        receiver_call(origin, "/_reset", method="POST")
        receiver_cpu_http = cpu_seconds(process.pid)
        authorization = make_sender(app).tokens.header(origin)
        http = time_http_only(bodies, authorization, config["PUSH_CONCURRENCY"])
        receiver_cpu_http = cpu_seconds(process.pid) - receiver_cpu_http
        received = receiver_call(origin, "/_stats")["received"]
        if received != len(bodies):
            print(f"HTTP alone: {received} received of {len(bodies)}")
            return None

        receiver_call(origin, "/_reset", method="POST")
        webpush = time_plain_webpush(
            subscriptions, args.webpush, vapid_for(app), config["VAPID_SUBJECT"], origin
        )
        received = receiver_call(origin, "/_stats")["received"]
        if received != args.webpush:
            print(f"plain webpush(): {received} received of {args.webpush}")
            return None
    figures = Figures(fanout, encryption, webpush, http, receiver_cpu, receiver_cpu_http)
    figures.machine_busy_s = machine_busy
    return figures, settings


def report(figures: Figures, settings: str) -> bool:
    """Print the figures, the verdict and where the CPU time went; True if the target was met."""
    fanout, encryption, webpush, http = (
        figures.fanout,
        figures.encryption,
        figures.webpush,
        figures.http,
    )
    ratio = fanout.rate / encryption.rate
    met = ratio >= TARGET
    rows = [
        ("deliveries", fanout, f"{fanout.count:,} reminders in {fanout.seconds:.2f} s"),
        ("encryption only", encryption, f"WebPusher(sub).encode() x {encryption.count:,}"),
        ("plain webpush()", webpush, f"webpush() x {webpush.count:,}, one at a time"),
        ("HTTP alone", http, f"aiohttp POST of encrypted bodies x {http.count:,}"),
    ]
    print(f"\n  {settings}")
    for name, timed, note in rows:
        print(f"  {name:<24}{timed.rate:>8,.0f} /s   {note}")
    print(f"  {'deliveries / encryption':<24}{ratio:>8.2f}      target >= {TARGET:.2f}: ", end="")
    print("PASS" if met else "FAIL")
    print(f"  {'webpush() / encryption':<24}{webpush.rate / encryption.rate:>8.2f}")

    # Both ends of the connection are CPU-bound. One sender process gets one CPU at most, and
    # each delivery costs it at least an encryption and an HTTP request; the receiver has
    # the other CPU of a two-CPU machine.
    cpus = os.cpu_count() or 1
    us = 1e6
    encrypt_us = encryption.cpu_seconds / encryption.count * us
    http_us = http.cpu_seconds / http.count * us
    sender_us = fanout.cpu_seconds / fanout.count * us
    receiver_us = figures.receiver_cpu_s / fanout.count * us
    receiver_http_us = figures.receiver_http_cpu_s / http.count * us
    others = max(0.0, figures.machine_busy_s - fanout.cpu_seconds - figures.receiver_cpu_s)
    floor = us / (encrypt_us + http_us)
    lines = [
        ("CPU per push", f"encryption {encrypt_us:,.0f} us + HTTP {http_us:,.0f} us;"),
        ("", f"whole sender {sender_us:,.0f} us; receiver {receiver_us:,.0f} us"),
        ("ceilings", f"a sender process that only encrypted and posted: {floor:,.0f}/s"),
        ("", f"= {floor / encryption.rate:.2f} of encryption (one process: one CPU at most)"),
        ("", f"the receiver: {us / receiver_http_us:,.0f}/s (one CPU / its CPU per push)"),
        ("other processes", f"{others / fanout.seconds / cpus:.0%} of the {cpus} CPUs"),
    ]
    print()
    for name, text in lines:
        print(f"  {name:<24}{text}")
    return met


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"push fan-out: {args.reminders:,} reminders due at once, one patient and subscription"
        " each; the receiver in its own process"
    )
    with tempfile.TemporaryDirectory(prefix="aftercare-bench-") as folder:
        outcome = run(args, Path(folder))
    if outcome is None:
        return 1
    report(*outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())
