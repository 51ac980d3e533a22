"""Reminder fan-out with email in the mix: half the patients by push, half by email only.

Every reminder falls due at once; one pass of the real sender sends the pushes to the local
push receiver and the emails to a local SMTP server (aiosmtpd, writing a Maildir), each in a
process of its own. It prints the rate, and checks that each reminder reached its
patient exactly once on its channel: on the receiver, on the SMTP server and in the database.

    .venv/bin/python bench/mixed_fanout.py [--reminders 5000] [--quick]
"""

from __future__ import annotations

import argparse
import mailbox
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.push_fanout import make_app, receiver_call, receiver_process  # noqa: E402

MAX_PASSES = 20


@contextmanager
def smtp_process(folder: Path) -> Iterator[tuple[str, Path]]:
    """aiosmtpd in its own process, keeping every message in a Maildir: (URL, the Maildir)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    maildir = folder / "maildir"
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
        + ["-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the SMTP server did not start") from None
                time.sleep(0.1)
        yield f"smtp://127.0.0.1:{port}", maildir
    finally:
        process.terminate()
        process.wait(10)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=5000, help="reminders due at once")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 200 reminders")
    args = parser.parse_args(argv)
    if args.quick:
        args.reminders = 200
    args.batch_size = args.concurrency = None
    return args


def add_email_patients(clinic_id: int, count: int, due_at) -> None:  # noqa: ANN001
    """Patients with a verified email and no phone, each with one reminder due at `due_at`."""
    from sqlalchemy import insert, select

    from aftercare.extensions import db
    from aftercare.models import Patient, PatientEmail, Reminder, utcnow

    last = db.session.scalar(select(Patient.id).order_by(Patient.id.desc()).limit(1)) or 0
    db.session.execute(
        insert(Patient),
        [{"clinic_id": clinic_id, "display_name": f"Emailed {n:04d}"} for n in range(count)],
    )
    ids = list(db.session.scalars(select(Patient.id).where(Patient.id > last)))
    db.session.execute(
        insert(PatientEmail),
        [
            {"patient_id": i, "address": f"patient{i}@example.org", "verified_at": utcnow()}
            for i in ids
        ],
    )
    db.session.execute(
        insert(Reminder),
        [
            {
                "clinic_id": clinic_id,
                "patient_id": i,
                "kind": "before_2h",
                "title": "Appointment reminder",
                "body": "You have an appointment today at 3:00 PM.",
                "url": "/today",
                "due_at": due_at,
                "expires_at": due_at + timedelta(hours=2),
                "next_attempt_at": due_at,
                "state": "pending",
            }
            for i in ids
        ],
    )


def problems_with(total: int, pushed: int, emailed: list[str], stats: dict) -> list[str]:
    """What is wrong, if anything: each reminder delivered once, on its own channel."""
    from sqlalchemy import func, select

    from aftercare.extensions import db
    from aftercare.models import Delivery, Reminder

    problems = []
    if stats["received"] != pushed or stats["failures"]:
        problems.append(f"the receiver saw {stats}; expected {pushed}")
    recipients = Counter(emailed)
    if len(recipients) != total - pushed or set(recipients.values()) != {1}:
        problems.append(f"{len(emailed)} emails to {len(recipients)} addresses")
    db.session.rollback()
    states = dict(
        db.session.execute(select(Reminder.state, func.count()).group_by(Reminder.state)).all()
    )
    if states != {"delivered": total}:
        problems.append(f"reminder states {states}")
    rows = dict(
        db.session.execute(
            select(Delivery.channel, func.count())
            .where(Delivery.outcome == "delivered")
            # One row per reminder per channel: no reminder went twice on one.
            .group_by(Delivery.channel)
        ).all()
    )
    if rows != {"push": pushed, "email": total - pushed}:
        problems.append(f"deliveries by channel {rows}")
    if db.session.scalar(select(func.max(Reminder.claims))) != 1:
        problems.append("a reminder was claimed more than once")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    total, pushed = args.reminders, args.reminders // 2
    print(f"mixed fan-out: {total:,} reminders due at once, {pushed:,} by push, the rest by email")
    with tempfile.TemporaryDirectory(prefix="aftercare-bench-") as folder:
        app = make_app(Path(folder), args)
        with app.app_context():
            try:
                return run(app, total, pushed)
            finally:
                from aftercare.extensions import db

                db.session.remove()
                db.engine.dispose()


def run(app, total: int, pushed: int) -> int:  # noqa: ANN001
    from flask_migrate import upgrade

    from aftercare.extensions import db
    from aftercare.models import Clinic, utcnow
    from aftercare.reminders.push_subscriptions import vapid_public_key
    from aftercare.reminders.sender import send_due_reminders
    from aftercare.reminders.smtp import smtp_settings
    from bench.reminded import add_reminded_patients

    upgrade()
    with (
        receiver_process(vapid_public_key(app), pushed, app.config["DATA_DIR"]) as (
            _,
            origin,
            subscriptions,
        ),
        smtp_process(app.config["DATA_DIR"]) as (smtp_url, maildir),
    ):
        base = "https://aftercare.example.org"
        app.config.update(BASE_URL=base, SMTP=smtp_settings({"AFTERCARE_SMTP_URL": smtp_url}, base))
        clinic = Clinic(name="Benchmark Clinic", timezone="America/New_York", phone="555-0100")
        db.session.add(clinic)
        db.session.flush()
        due = utcnow() - timedelta(seconds=1)
        add_reminded_patients(clinic.id, subscriptions, due_at=due, name="Pushed")
        add_email_patients(clinic.id, total - pushed, due)
        db.session.commit()

        # Pass after pass, as the scheduler ticks, until nothing is due: a pass stops claiming
        # after half a lease, and the rest is the next pass's.
        started = time.perf_counter()
        passes, pushes, emails = 0, 0, 0
        while passes < MAX_PASSES:
            summary = send_due_reminders()
            passes, pushes, emails = passes + 1, pushes + summary.pushes, emails + summary.emails
            if not summary.claimed:
                break
        seconds = time.perf_counter() - started
        emailed = [message["To"] for message in mailbox.Maildir(maildir, create=False)]
        problems = problems_with(total, pushed, emailed, receiver_call(origin, "/_stats"))
    if problems:
        print("NOT DELIVERED EXACTLY ONCE:", *problems, sep="\n  ")
        return 1
    print(f"  all {total:,} delivered exactly once (receiver, SMTP server and database)")
    rate = total / seconds
    print(f"  {'deliveries':<24}{rate:>8,.0f} /s   {total:,} reminders in {seconds:.2f} s")
    print(f"  {'passes':<24}{passes:>8,}")
    print(f"  {'pushes':<24}{pushes:>8,}")
    print(f"  {'emails':<24}{emails:>8,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
