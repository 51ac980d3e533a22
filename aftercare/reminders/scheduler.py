"""The scheduler process: APScheduler ticks, send_due_reminders() does the work.

It runs as its own command (`aftercare scheduler`), never inside web workers, each of which
would start one of its own. `aftercare run` may start one beside the single web server.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from ..extensions import db
from .sender import send_due_reminders

log = logging.getLogger(__name__)


def tick(app: Flask) -> None:
    """One pass, in its own app context; an error is logged and the next tick tries again."""
    with app.app_context():
        try:
            send_due_reminders()
        except Exception:
            log.exception("sending reminders failed; the next tick will try again")
            db.session.rollback()
        finally:
            db.session.remove()


def _add_job(scheduler: BaseScheduler, app: Flask) -> None:
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=app.config["SCHEDULER_INTERVAL_SECONDS"]),
        args=[app],
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


def run_forever(app: Flask, announce: Callable[[], None] = lambda: None) -> None:
    """Tick until SIGTERM or Ctrl+C; `announce` is called once the process can be stopped."""
    scheduler = BlockingScheduler(timezone=UTC)
    _add_job(scheduler, app)

    def stop(signum: int, frame: object) -> None:
        # Passes run in the scheduler's worker threads; the main thread only waits, so
        # leaving it here stops the ticking cleanly, before or after start().
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    announce()
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
