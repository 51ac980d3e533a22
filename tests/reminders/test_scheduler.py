"""The scheduler keeps ticking: a pass that gets stuck is left behind, and says so; the loopback
setting for test receivers is announced at every start."""

from __future__ import annotations

import logging
import subprocess
import threading
from collections import Counter

import pytest

from aftercare.reminders import sender
from tests.reminders.conftest import add_reminder, scheduler_running, subscribe, wait_until
from tests.reminders.test_processes import AFTERCARE, environment, states
from tests.servers import serve_gunicorn, serve_waitress

LOOPBACK_WARNING = "AFTERCARE_PUSH_ALLOW_LOOPBACK_HTTP is on"


def test_a_stuck_pass_is_left_behind_and_the_scheduler_recovers_without_a_restart(
    push_app, db, patient, receiver, monkeypatch, caplog
):
    # A lease of 5 s: the first pass is given up after 5 s, and its claim is free again by then.
    push_app.config.update(PUSH_LEASE_SECONDS=5, SCHEDULER_INTERVAL_SECONDS=1)
    subscribe(db, patient, receiver)
    first = add_reminder(db, patient)
    # Something nobody foresaw holds the first pass forever (a lock, a call that never returns).
    release = threading.Event()
    stuck_passes: list[threading.Thread] = []
    real_prepare = sender._prepare_batch

    def prepare_once_stuck(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if not stuck_passes:
            stuck_passes.append(threading.current_thread())
            release.wait(timeout=120)
        return real_prepare(*args, **kwargs)

    monkeypatch.setattr(sender, "_prepare_batch", prepare_once_stuck)
    caplog.set_level(logging.WARNING)
    try:
        with scheduler_running(push_app):
            receiver.wait_for(1, timeout=60)
            wait_until(lambda: states(db).get("delivered") == 1, 30, "the first reminder")
            # And the scheduler keeps going: a reminder that falls due now goes out too.
            second = add_reminder(db, patient)
            receiver.wait_for(2, timeout=30)
            wait_until(lambda: states(db).get("delivered") == 2, 30, "the second reminder")
            assert stuck_passes[0].is_alive()  # still stuck, and no longer in the way
    finally:
        release.set()
    stuck_passes[0].join(timeout=30)

    log = caplog.text
    assert "a pass is stuck after 5 s" in log
    assert "recovered; a pass ran to its end after a stuck one" in log
    # The stuck pass, let go at last, sends nothing that a newer pass already sent.
    topics = Counter(message.topic for message in receiver.messages())
    assert topics == {f"r{first.id}": 1, f"r{second.id}": 1}


@pytest.fixture
def loopback_env() -> dict[str, str]:
    return {"AFTERCARE_PUSH_ALLOW_LOOPBACK_HTTP": "1"}


def test_aftercare_run_warns_when_the_loopback_setting_is_on(app, tmp_path, loopback_env):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with serve_waitress(url, tmp_path / "on", tmp_path / "on.log", env=loopback_env) as served:
        assert LOOPBACK_WARNING in served.output()
    with serve_waitress(url, tmp_path / "off", tmp_path / "off.log") as served:
        assert LOOPBACK_WARNING not in served.output()


def test_gunicorn_warns_when_the_loopback_setting_is_on(app, tmp_path, loopback_env):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with serve_gunicorn(url, tmp_path, tmp_path / "g.log", workers=1, env=loopback_env) as served:
        assert LOOPBACK_WARNING in served.output()


def test_aftercare_scheduler_warns_when_the_loopback_setting_is_on(push_app):
    for setting, warned in (("1", True), ("0", False)):
        env = environment(push_app, AFTERCARE_PUSH_ALLOW_LOOPBACK_HTTP=setting)
        with subprocess.Popen(
            [str(AFTERCARE), "scheduler"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as scheduler:
            try:
                lines = []
                for line in scheduler.stdout:
                    lines.append(line)
                    if "Aftercare scheduler: sending due reminders" in line:
                        break
            finally:
                scheduler.terminate()
                scheduler.wait(timeout=30)
        assert (LOOPBACK_WARNING in "".join(lines)) is warned, lines
