"""The scheduler process: APScheduler ticks, send_due_reminders() does the work.

It runs as its own command (`aftercare scheduler`), never inside web workers, each of which
would start one of its own. `aftercare run` may start one beside the single web server.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from ..extensions import db
from .heartbeat import watched_pass
from .sender import send_due_reminders

log = logging.getLogger(__name__)


def _one_pass(app: Flask) -> None:
    """One pass, in its own app context; an error is logged and the next tick tries again."""
    with app.app_context():
        try:
            # One line per pass, one short line per failure, and the heartbeat /healthz reads.
            watched_pass(app, send_due_reminders)
        finally:
            db.session.remove()


class Ticker:
    """Runs each pass in a thread of its own and waits for it at most a lease.

    A pass bounds itself (every wait has a timeout, and the pass a time limit), so one that is
    still running after a whole lease is stuck somewhere nobody foresaw: the ticker says so,
    leaves it behind, and the next tick starts a fresh pass. By then the stuck pass's claims
    have run out, so the fresh pass sends its reminders; the stuck one, should it ever wake,
    can no longer settle them (each pass claims under a name of its own).
    """

    # Passes left behind and still stuck, at most; past that, ticks wait for one to finish
    # rather than pile up threads (and database connections) that do not move.
    MAX_STUCK = 3

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.stuck: list[threading.Thread] = []
        self.recovering = False  # a pass was left behind, and none has finished since

    def __call__(self) -> None:
        self.stuck = [thread for thread in self.stuck if thread.is_alive()]
        if len(self.stuck) >= self.MAX_STUCK:
            log.error(
                "reminders: %d passes are stuck; no new pass starts until one of them ends",
                len(self.stuck),
            )
            return
        limit = self.app.config["PUSH_LEASE_SECONDS"]
        thread = threading.Thread(
            target=_one_pass, args=(self.app,), name="reminder-pass", daemon=True
        )
        thread.start()
        thread.join(timeout=limit)
        if thread.is_alive():
            self.stuck.append(thread)
            self.recovering = True
            log.error(
                "reminders: a pass is stuck after %d s; it is left behind and the next tick "
                "starts a new one (the reminders it claimed are sent again after their lease)",
                limit,
            )
        elif self.recovering:
            self.recovering = False
            log.warning("reminders: recovered; a pass ran to its end after a stuck one")


def _add_job(scheduler: BaseScheduler, app: Flask) -> None:
    scheduler.add_job(
        Ticker(app),
        IntervalTrigger(seconds=app.config["SCHEDULER_INTERVAL_SECONDS"]),
        id="send-due-reminders",
        # One pass at a time; a pass that overruns its interval is not queued up behind.
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(UTC),
    )


def start_background(app: Flask) -> BackgroundScheduler:
    """A scheduler thread beside the web server, for the single-machine default."""
    scheduler = BackgroundScheduler(timezone=UTC, daemon=True)
    _add_job(scheduler, app)
    scheduler.start()
    return scheduler


def yield_cpu_to_web(niceness: int) -> None:
    """Run this process at a CPU priority at least `niceness` lower than the default.

    A fan-out of thousands of reminders keeps a CPU busy for seconds. On a machine it shares
    with the web workers, patients' pages would queue behind it; a reminder can arrive a few
    seconds later without harm. Call it before any thread starts: on Linux each thread has its
    own priority, and a new thread takes that of the thread that starts it.
    """
    if niceness and os.getpriority(os.PRIO_PROCESS, 0) < niceness:
        os.setpriority(os.PRIO_PROCESS, 0, niceness)


def run_forever(app: Flask, announce: Callable[[], None] = lambda: None) -> None:
    """Tick until SIGTERM or Ctrl+C; `announce` is called once the process can be stopped.

    The ticking runs in the scheduler's own threads; the main thread only waits for a signal,
    whose handler just sets an event, so stopping never interrupts the scheduler's code.
    """
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    scheduler = start_background(app)
    announce()
    while not stopping.wait(timeout=1):
        pass
    scheduler.shutdown(wait=False)
