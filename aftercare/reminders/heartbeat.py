"""A scheduler you can watch: a line per pass, a line per failure, and a heartbeat row.

Each pass that runs to its end logs one line with what it did and how long it took, and stores
the moment in `scheduler_heartbeat`, where /healthz?scheduler=1 and `aftercare scheduler
--check` read it. A pass that fails logs one short line, not a traceback: during a database
outage the scheduler fails every tick, and the log must stay readable. Only an error not seen
before (not a database outage) gets its traceback, once; the line after the outage says how
long it lasted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, Response, current_app, jsonify, request
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from ..extensions import db
from ..models import SchedulerHeartbeat, utcnow
from .sender import WORKER, PassSummary, send_due_reminders

log = logging.getLogger(__name__)

HEARTBEAT = "reminders"
WATCH = "aftercare.scheduler_watch"


@dataclass
class Watch:
    """Failures in a row, so that an outage is told once at its start and once at its end."""

    failures: int = 0
    since: datetime | None = None
    seen: set[str] | None = None  # errors whose traceback has been logged once


def describe(error: BaseException) -> str:
    """The error in one short line: its type and the first line of its message.

    The first line only: PostgreSQL puts the values of a failed row on the lines after it, and
    a log holds no patient data.
    """
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    message = (str(cause).strip().splitlines() or [""])[0][:200]
    return f"{type(cause).__name__}: {message}" if message else type(cause).__name__


def database_unreachable(error: BaseException) -> bool:
    return isinstance(error, OperationalError | InterfaceError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


def pass_line(summary: PassSummary, seconds: float) -> str:
    """One line for one pass, in the same words every time, for people and for grep."""
    return (
        f"reminders: pass done in {seconds:.2f} s: {summary.claimed} claimed, "
        f"{summary.delivered} delivered, {summary.retrying} retried, "
        f"{summary.outcomes.get('gone', 0)} gone, {summary.failed} failed, "
        f"{summary.expired} expired, {summary.held} held for quiet hours; "
        f"{_channel_counts(summary, 'push')}; {_channel_counts(summary, 'email')}"
    )


def _channel_counts(summary: PassSummary, channel: str) -> str:
    """One channel's messages: taken by its service, failed (gone or refused), to be retried,
    and reminders held for quiet hours that it would carry."""
    counts = summary.by_channel.get(channel, {})
    failed = sum(counts.get(outcome, 0) for outcome in ("gone", "failed"))
    return (
        f"{channel} {counts.get('delivered', 0)} sent, {failed} failed, "
        f"{counts.get('retry', 0)} to retry, {summary.held_by_channel.get(channel, 0)} held"
    )


def record_pass(moment: datetime, duration_ms: int, worker: str = WORKER) -> None:
    """Store the end of a pass that ran to its end (insert or update the one row)."""
    values = {
        "name": HEARTBEAT,
        "last_pass_at": moment,
        "worker": worker[:80],
        "duration_ms": duration_ms,
    }
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(SchedulerHeartbeat).values(**values)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={key: statement.excluded[key] for key in values if key != "name"},
        )
    )
    db.session.commit()


def watched_pass(
    app: Flask, run: Callable[[], PassSummary] = send_due_reminders
) -> PassSummary | None:
    """Run one pass in the app context: log its line and record it, or log why it failed."""
    watch: Watch = app.extensions.setdefault(WATCH, Watch())
    started = time.monotonic()
    try:
        summary = run()
        seconds = time.monotonic() - started
        record_pass(utcnow(), int(seconds * 1000))
    except Exception as error:
        db.session.rollback()
        _failed(watch, error, app.config["SCHEDULER_INTERVAL_SECONDS"])
        return None
    if watch.failures:
        log.warning(
            "reminders: passes work again, after %d failed since %s",
            watch.failures,
            _clock(watch.since),
        )
        watch.failures, watch.since = 0, None
    log.info(pass_line(summary, seconds))
    return summary


def _clock(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "?"


def _failed(watch: Watch, error: Exception, interval: int) -> None:
    watch.failures += 1
    watch.since = watch.since or utcnow()
    what = describe(error)
    if database_unreachable(error):
        reason = f"the database cannot be reached ({what})"
    else:
        reason = what
        watch.seen = watch.seen or set()
        if what not in watch.seen:
            # Something unforeseen: its traceback once, to find the cause; short lines after.
            watch.seen.add(what)
            log.error("reminders: pass failed: %s", reason, exc_info=error)
            return
    if watch.failures == 1:
        log.warning("reminders: pass failed: %s; trying again every %d s", reason, interval)
    else:
        log.warning(
            "reminders: pass failed (%d in a row since %s): %s",
            watch.failures,
            _clock(watch.since),
            reason,
        )


@dataclass(frozen=True)
class Health:
    """How recent the scheduler's last good pass is, against the limit."""

    last_pass_at: datetime | None
    age_seconds: int | None
    stale_after: int
    worker: str = ""

    @property
    def fresh(self) -> bool:
        return self.age_seconds is not None and self.age_seconds <= self.stale_after

    def public(self) -> dict[str, object]:
        """What /healthz shows anyone: times, not host names or process ids."""
        return {
            "last_pass_at": self.last_pass_at.isoformat() if self.last_pass_at else None,
            "age_seconds": self.age_seconds,
            "stale_after_seconds": self.stale_after,
        }

    def in_words(self) -> str:
        if self.last_pass_at is None:
            return (
                "No scheduler has finished a pass on this database yet: is `aftercare "
                "scheduler` (the aftercare-scheduler service) running?"
            )
        said = (
            f"The scheduler's last pass ended {self.age_seconds} s ago "
            f"({_clock(self.last_pass_at)}, {self.worker or 'unknown'})"
        )
        if self.fresh:
            return f"{said}: it is sending reminders."
        return (
            f"{said}, longer ago than {self.stale_after} s: it is stopped, stuck, or cannot reach "
            f"the database. See its log (journalctl -u aftercare-scheduler)."
        )


def scheduler_health(now: datetime | None = None) -> Health:
    """Read the heartbeat (one primary-key lookup)."""
    stale_after = current_app.config["SCHEDULER_STALE_SECONDS"]
    row = db.session.get(SchedulerHeartbeat, HEARTBEAT)
    if row is None:
        return Health(None, None, stale_after)
    age = max(0, int(((now or utcnow()) - row.last_pass_at).total_seconds()))
    return Health(row.last_pass_at, age, stale_after, row.worker)


def scheduler_report() -> tuple[Response, int] | None:
    """For GET /healthz?scheduler=1: the heartbeat, and 503 when it is too old; else None.

    Asked for explicitly, by monitoring rather than load balancers: the web app is well even
    when reminders are late, and must not be taken out of service for it.
    """
    if request.args.get("scheduler") != "1":
        return None
    try:
        health = scheduler_health()
    except SQLAlchemyError:
        # Not migrated yet (the web app started before aftercare-migrate finished), say.
        db.session.rollback()
        return jsonify(status="scheduler unknown", scheduler=None), 503
    status = "ok" if health.fresh else "scheduler late"
    return jsonify(status=status, scheduler=health.public()), 200 if health.fresh else 503
