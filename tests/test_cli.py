"""The `aftercare` command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from aftercare.models import Clinic, Clinician, Infusion, Patient

# The console script installed beside this Python.
AFTERCARE = Path(sys.executable).parent / "aftercare"


def test_demo_json_prints_one_line_a_script_can_use(runner, db):
    result = runner.invoke(args=["demo", "--json", "--base-url", "http://127.0.0.1:5055"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert set(data) == {"clinician_email", "clinician_password", "enrollment_url"}
    assert data["enrollment_url"].startswith("http://127.0.0.1:5055/enroll/")
    infusion = db.session.scalar(select(Infusion))
    minutes_ago = (
        db.session.scalar(select(Clinician)).created_at - infusion.ended_at
    ).total_seconds() / 60
    assert 55 < minutes_ago < 65
    clinician = db.session.scalar(select(Clinician))
    assert clinician.check_password(data["clinician_password"])


def test_demo_twice_adds_a_patient_to_the_same_clinic(runner, db):
    runner.invoke(args=["demo", "--json"])
    runner.invoke(args=["demo", "--json"])
    assert db.session.query(Clinic).count() == 1
    assert db.session.query(Patient).count() == 2


def test_create_clinic_and_clinician_without_prompts(runner, db):
    result = runner.invoke(
        args=[
            "create-clinic",
            "--name",
            "Lakeside",
            "--timezone",
            "America/Denver",
            "--phone",
            "555-0300",
        ]
    )
    assert result.exit_code == 0, result.output
    clinic_id = int(result.stdout.strip())
    result = runner.invoke(
        args=[
            "create-clinician",
            "--clinic-id",
            str(clinic_id),
            "--email",
            "Lead@Lakeside.test",
            "--name",
            "Lead",
            "--admin",
        ],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    clinician = db.session.scalar(select(Clinician))
    assert clinician.email == "lead@lakeside.test" and clinician.role == "admin"
    assert clinician.check_password("a long enough password")
    assert "a long enough password" not in clinician.password_hash
    assert clinician.password_hash.startswith("scrypt:")


def test_bad_arguments_are_refused_with_the_option_named(runner, db):
    result = runner.invoke(args=["create-clinic", "--name", "X", "--timezone", "Nowhere/Town"])
    assert result.exit_code == 2 and "--timezone" in result.output
    result = runner.invoke(
        args=["create-clinician", "--clinic-id", "99", "--email", "a@b.test", "--name", "A"],
        input="a long enough password\n",
    )
    assert result.exit_code == 2 and "no clinic 99" in result.output
    clinic_id = runner.invoke(args=["create-clinic", "--name", "Y"]).stdout.strip()
    result = runner.invoke(
        args=["create-clinician", "--clinic-id", clinic_id, "--email", "a@b.test", "--name", "A"],
        input="short\n",
    )
    assert result.exit_code == 2 and "at least 12 characters" in result.output
    assert db.session.query(Clinician).count() == 0


def test_the_console_script_lists_every_command(tmp_path):
    result = subprocess.run(
        [str(AFTERCARE), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"AFTERCARE_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    for command in ("run", "demo", "create-clinic", "create-clinician", "db"):
        assert f"  {command} " in result.stdout


@pytest.mark.parametrize(
    ("command", "variable", "value", "message"),
    [
        ("demo", "AFTERCARE_DEMO", "maybe", "must be 1 or 0"),
        ("scheduler", "AFTERCARE_SCHEDULER_INTERVAL_SECONDS", "60", "must be at most 30"),
        ("scheduler", "AFTERCARE_SCHEDULER_NICE", "20", "must be at most 19"),
    ],
)
def test_a_bad_setting_stops_start_up_and_names_the_variable(
    tmp_path, command, variable, value, message
):
    result = subprocess.run(
        [str(AFTERCARE), command],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"AFTERCARE_DATA_DIR": str(tmp_path), variable: value, "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert f"{variable} {message}" in result.stderr


def test_vapid_keys_are_made_once_and_printed(runner, app):
    first = runner.invoke(args=["vapid-keys"])
    assert first.exit_code == 0, first.output
    key = first.stdout.strip()
    assert len(key) == 87  # a 65-byte uncompressed P-256 point, base64url without padding
    assert (app.config["DATA_DIR"] / "vapid_private.pem").exists()
    assert oct((app.config["DATA_DIR"] / "vapid_private.pem").stat().st_mode)[-3:] == "600"
    app.extensions.pop("aftercare.vapid")
    assert runner.invoke(args=["vapid-keys"]).stdout.strip() == key


def test_a_vapid_key_from_the_environment_is_used(runner, app):
    from py_vapid import Vapid02

    from aftercare.reminders.vapid import public_key

    vapid = Vapid02()
    vapid.generate_keys()
    app.config["VAPID_PRIVATE_KEY"] = vapid.private_pem().decode()
    assert runner.invoke(args=["vapid-keys"]).stdout.strip() == public_key(vapid)
    assert not (app.config["DATA_DIR"] / "vapid_private.pem").exists()


def test_send_due_runs_one_pass_and_says_what_it_did(runner, db, patient):
    result = runner.invoke(args=["send-due"])
    assert result.exit_code == 0, result.output
    assert "claimed 0, delivered 0" in result.stdout


@contextmanager
def running_scheduler(tmp_path: Path, **settings: str) -> Iterator[subprocess.Popen]:
    """`aftercare scheduler` on a fresh SQLite database, once it has said it is ticking."""
    import time

    env = {"AFTERCARE_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", **settings}
    env["AFTERCARE_SCHEDULER_INTERVAL_SECONDS"] = "1"
    env["AFTERCARE_INIT"] = "1"  # a new install: make the database and the keys
    subprocess.run(
        [str(AFTERCARE), "db", "upgrade"], env=env, capture_output=True, timeout=180, check=True
    )
    scheduler = subprocess.Popen(
        [str(AFTERCARE), "scheduler"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        line = ""
        while "every 1 s" not in line and time.monotonic() < deadline:
            line = scheduler.stdout.readline()
        assert "every 1 s" in line
        yield scheduler
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
            scheduler.wait(timeout=60)


def test_the_scheduler_runs_until_told_to_stop(tmp_path):
    import signal

    with running_scheduler(tmp_path) as scheduler:
        scheduler.send_signal(signal.SIGTERM)
        assert scheduler.wait(timeout=60) == 0


@pytest.mark.parametrize(("setting", "lowered_to"), [(None, 10), ("15", 15), ("0", None)])
def test_the_scheduler_lowers_the_cpu_priority_of_every_thread_as_configured(
    tmp_path, setting, lowered_to
):
    started_at = os.getpriority(os.PRIO_PROCESS, 0)  # a child starts with its parent's
    settings = {} if setting is None else {"AFTERCARE_SCHEDULER_NICE": setting}
    with running_scheduler(tmp_path, **settings) as scheduler:
        threads = os.listdir(f"/proc/{scheduler.pid}/task")
        niceness = {os.getpriority(os.PRIO_PROCESS, int(thread)) for thread in threads}
    assert len(threads) > 1  # APScheduler's threads are running by then
    assert niceness == {started_at if lowered_to is None else max(started_at, lowered_to)}
