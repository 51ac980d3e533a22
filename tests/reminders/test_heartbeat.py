"""A scheduler you can watch: a line per pass, a short line per failure, and a heartbeat that
/healthz?scheduler=1 and `aftercare scheduler --check` report."""

from __future__ import annotations

import logging
import re
import subprocess
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import OperationalError

from aftercare.models import utcnow
from aftercare.reminders.heartbeat import WATCH, pass_line, record_pass, watched_pass
from aftercare.reminders.sender import PassSummary
from tests.conftest import add_patient
from tests.reminders.conftest import add_email, add_reminder, subscribe
from tests.reminders.test_email import quiet_hours_away_from_now
from tests.servers import BIN

LOGGER = "aftercare.reminders.heartbeat"


def lines(caplog) -> list[logging.LogRecord]:  # noqa: ANN001
    return [record for record in caplog.records if record.name == LOGGER]


def test_each_pass_logs_one_line_with_its_counts_and_how_long_it_took(app, db, patient, caplog):
    add_reminder(db, patient)  # due, and no phone to send it to: it waits for one
    caplog.set_level(logging.INFO, logger=LOGGER)
    summary = watched_pass(app)
    assert summary is not None and summary.claimed == 1
    [record] = lines(caplog)
    assert record.levelno == logging.INFO
    assert re.fullmatch(
        r"reminders: pass done in \d+\.\d\d s: 1 claimed, 0 delivered, 1 retried, 0 gone, "
        r"0 failed, 0 expired, 0 held for quiet hours; "
        r"push 0 sent, 0 failed, 0 to retry, 0 held; email 0 sent, 0 failed, 0 to retry, 0 held",
        record.getMessage(),
    )


def test_the_line_counts_subscriptions_found_gone():
    summary = PassSummary(claimed=3, delivered=1, failed=1, retrying=1, expired=2, held=5)
    summary.outcomes["gone"] = 4
    assert pass_line(summary, 0.5) == (
        "reminders: pass done in 0.50 s: 3 claimed, 1 delivered, 1 retried, 4 gone, 1 failed, "
        "2 expired, 5 held for quiet hours; "
        "push 0 sent, 0 failed, 0 to retry, 0 held; email 0 sent, 0 failed, 0 to retry, 0 held"
    )


def test_the_line_counts_each_channel_next_to_the_other(
    email_app, db, patient, second_patient, other_clinic, receiver, mail_server, caplog
):
    """A real pass, to the local push receiver and the local mail server: what each channel
    sent, what failed and what waits for quiet hours, in one line."""
    subscribe(db, patient, receiver)  # push: delivered
    add_email(db, second_patient, "blair@example.org")  # email: refused for good
    mail_server.script("blair@example.org", [550])
    third = add_patient(db, patient.clinic, "Sam")
    add_email(db, third, "sam@example.org")  # email: delivered
    quiet_hours_away_from_now(patient)
    # A patient of a clinic in its quiet hours now, by email and by push: held on both.
    held = add_patient(db, other_clinic, "Kim")
    add_email(db, held, "kim@example.org", always=True)
    subscribe(db, held, receiver)
    hour = utcnow().astimezone(ZoneInfo(other_clinic.timezone)).hour
    other_clinic.content = {"reminders": {"quiet_start": hour, "quiet_end": (hour + 2) % 24}}
    db.session.commit()
    for someone in (patient, second_patient, third):
        add_reminder(db, someone)
    # Not one that goes in quiet hours anyway (a reminder just before an appointment).
    add_reminder(db, held, kind="questionnaire_pcl5", expires=utcnow() + timedelta(days=7))
    caplog.set_level(logging.INFO, logger=LOGGER)

    assert watched_pass(email_app) is not None

    [record] = lines(caplog)
    assert record.getMessage().endswith(
        "4 claimed, 2 delivered, 0 retried, 0 gone, 1 failed, 0 expired, 1 held for quiet hours; "
        "push 1 sent, 0 failed, 0 to retry, 1 held; email 1 sent, 1 failed, 0 to retry, 1 held"
    ), record.getMessage()
    assert "@" not in record.getMessage()


def outage() -> OperationalError:
    return OperationalError(
        "SELECT 1", {}, Exception('connection to server at "127.0.0.1", port 5432 failed')
    )


def test_during_an_outage_each_failed_pass_is_one_short_line(app, db, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)

    def failing() -> PassSummary:
        raise outage()

    for _ in range(3):
        assert watched_pass(app, failing) is None
    said = lines(caplog)
    assert [record.levelno for record in said] == [logging.WARNING] * 3
    assert all(record.exc_info is None for record in said)  # no traceback, any tick
    assert said[0].getMessage() == (
        "reminders: pass failed: the database cannot be reached (Exception: connection to "
        'server at "127.0.0.1", port 5432 failed); trying again every 15 s'
    )
    assert re.match(r"reminders: pass failed \(3 in a row since .* UTC\): ", said[2].getMessage())
    assert all("\n" not in record.getMessage() for record in said)

    caplog.clear()
    assert watched_pass(app, PassSummary) is not None
    back, done = lines(caplog)
    assert re.match(r"reminders: passes work again, after 3 failed since ", back.getMessage())
    assert done.getMessage().startswith("reminders: pass done in ")


def test_an_unforeseen_error_shows_its_traceback_once_then_short_lines(app, db, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)

    def failing() -> PassSummary:
        raise KeyError("reminder")

    for _ in range(3):
        watched_pass(app, failing)
    first, *rest = lines(caplog)
    assert first.levelno == logging.ERROR and first.exc_info is not None
    assert first.getMessage() == "reminders: pass failed: KeyError: 'reminder'"
    assert [record.exc_info for record in rest] == [None, None]


def test_healthz_reports_the_scheduler_only_when_asked(app, db, client):
    # Load balancers ask /healthz: the web app is well, whatever the scheduler does.
    assert client.get("/healthz").get_json() == {"status": "ok"}
    answer = client.get("/healthz?scheduler=1")
    assert answer.status_code == 503
    assert answer.get_json()["status"] == "scheduler late"
    assert answer.get_json()["scheduler"]["last_pass_at"] is None

    assert watched_pass(app) is not None
    answer = client.get("/healthz?scheduler=1")
    assert answer.status_code == 200, answer.get_json()
    scheduler = answer.get_json()["scheduler"]
    assert scheduler["age_seconds"] <= 5
    assert scheduler["stale_after_seconds"] == app.config["SCHEDULER_STALE_SECONDS"] == 120
    assert set(scheduler) == {"last_pass_at", "age_seconds", "stale_after_seconds"}  # no hosts


def test_healthz_fails_once_the_last_pass_is_older_than_the_limit(app, db, client):
    limit = app.config["SCHEDULER_STALE_SECONDS"]
    record_pass(utcnow() - timedelta(seconds=limit - 5), 10)
    assert client.get("/healthz?scheduler=1").status_code == 200
    record_pass(utcnow() - timedelta(seconds=limit + 5), 10)
    answer = client.get("/healthz?scheduler=1")
    assert answer.status_code == 503
    assert answer.get_json()["scheduler"]["age_seconds"] >= limit + 5


def test_the_heartbeat_is_one_row_whichever_scheduler_writes_it(app, db):
    from aftercare.models import SchedulerHeartbeat

    record_pass(utcnow(), 10, worker="a:1")
    record_pass(utcnow(), 20, worker="b:2")
    [row] = db.session.query(SchedulerHeartbeat).all()
    assert (row.worker, row.duration_ms) == ("b:2", 20)


def test_scheduler_check_exits_with_1_until_a_recent_pass(app, db, runner):
    result = runner.invoke(args=["scheduler", "--check"])
    assert result.exit_code == 1
    assert "No scheduler has finished a pass" in result.output
    record_pass(utcnow() - timedelta(seconds=600), 10, worker="vm:42:abc")
    result = runner.invoke(args=["scheduler", "--check"])
    assert result.exit_code == 1
    assert "longer ago than 120 s" in result.output and "vm:42:abc" in result.output
    record_pass(utcnow(), 10)
    result = runner.invoke(args=["scheduler", "--check"])
    assert result.exit_code == 0, result.output
    assert "it is sending reminders" in result.output
    assert WATCH not in app.extensions  # --check sends nothing


def test_the_scheduler_process_logs_a_line_for_each_pass(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "AFTERCARE_DATA_DIR": str(tmp_path / "data"),
        "AFTERCARE_SCHEDULER_INTERVAL_SECONDS": "1",
        "AFTERCARE_INIT": "1",  # a new install: make the database and the keys
    }
    aftercare = str(BIN / "aftercare")
    subprocess.run([aftercare, "db", "upgrade"], env=env, capture_output=True, check=True)
    scheduler = subprocess.Popen(
        [aftercare, "scheduler"], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    passes: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while len(passes) < 2 and time.monotonic() < deadline:
            line = scheduler.stderr.readline().decode()
            if "reminders: pass done in" in line:
                passes.append(line)
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=30)
    assert len(passes) == 2
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO reminders: pass done in", passes[0])
    checked = subprocess.run(
        [aftercare, "scheduler", "--check"], env=env, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_migrating_in_the_same_process_leaves_the_schedulers_lines_on(app, db):
    """`aftercare run` migrates, then runs its scheduler: Alembic's logging set-up must not
    silence the app's loggers made before it (as it does by default)."""
    from flask_migrate import upgrade

    logger = logging.getLogger(LOGGER)
    upgrade()
    assert not logger.disabled
    assert not logging.getLogger("aftercare.reminders.scheduler").disabled


def test_healthz_says_so_when_the_heartbeat_cannot_be_read(app, db, client):
    """A web app ahead of its migration answers 503, not an error page."""
    from sqlalchemy import text

    db.session.execute(text("DROP TABLE scheduler_heartbeat"))
    db.session.commit()
    answer = client.get("/healthz?scheduler=1")
    assert (answer.status_code, answer.get_json()["status"]) == (503, "scheduler unknown")
    assert client.get("/healthz").status_code == 200
