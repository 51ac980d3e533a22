"""Claim what is due, send it, record every attempt: the one job the scheduler runs.

The database is the source of truth. A reminder is claimed with one conditional UPDATE (with
FOR UPDATE SKIP LOCKED on PostgreSQL), so two senders never send the same reminder; the claim
is a lease, so a sender that dies mid-send leaves its reminders to be claimed again once the
lease runs out. Each push to each device is recorded as a Delivery, whatever happened.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Row, and_, insert, or_, select, update

from ..extensions import db
from ..models import Delivery, PushSubscription, Reminder, utcnow
from .webpush import PushMessage, PushResult, WebPushSender

log = logging.getLogger(__name__)

WORKER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
# With no device to send to, look again now and then: the patient may turn reminders on.
NO_DEVICE_WAIT = timedelta(minutes=15)
FINISHED_OUTCOMES = ("delivered", "gone", "failed")


@dataclass
class PassSummary:
    """What one pass did, for the command line, tests and benchmarks."""

    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    retrying: int = 0
    expired: int = 0
    pushes: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... at most an hour: how long to wait after `attempts` tries."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_WAIT)


def _due(now: datetime):  # noqa: ANN202 (an SQL expression)
    return or_(
        and_(Reminder.state == "pending", Reminder.next_attempt_at <= now),
        and_(Reminder.state == "sending", Reminder.lease_until < now),
    )


def expire_useless(now: datetime) -> int:
    """Reminders that fell due but can no longer help (the appointment began) are not sent."""
    result = db.session.execute(
        update(Reminder)
        .where(
            Reminder.expires_at <= now,
            or_(
                Reminder.state == "pending",
                and_(Reminder.state == "sending", Reminder.lease_until < now),
            ),
        )
        .values(state="expired", finished_at=now, lease_until=None)
    )
    db.session.commit()
    return result.rowcount or 0


def claim_due(now: datetime, limit: int, lease: timedelta, worker: str = WORKER) -> list[int]:
    """Atomically take up to `limit` due reminders for this sender, until `now + lease`."""
    candidates = (
        select(Reminder.id).where(_due(now)).order_by(Reminder.next_attempt_at).limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        # Rows another sender is claiming right now are skipped, not waited for. The candidates
        # are picked once, in a materialized CTE: as a subquery in the UPDATE's WHERE, PostgreSQL
        # may run the SELECT again as rows change and claim far more than `limit`.
        chosen = (
            candidates.with_for_update(skip_locked=True)
            .cte("candidates")
            .prefix_with("MATERIALIZED")
        )
        picked = Reminder.id == chosen.c.id
    else:
        picked = Reminder.id.in_(candidates.scalar_subquery())
    claimed = db.session.execute(
        update(Reminder)
        # The due condition again: a row claimed by another sender in between is not taken.
        .where(picked, _due(now))
        .values(
            state="sending",
            lease_until=now + lease,
            claimed_by=worker,
            claims=Reminder.claims + 1,
        )
        .returning(Reminder.id)
        .execution_options(synchronize_session=False)
    )
    ids = list(claimed.scalars())
    db.session.commit()
    return ids


def _payload(reminder: Row) -> bytes:
    # What the service worker shows; nothing clinical, a lock screen is public.
    return json.dumps(
        {
            "title": reminder.title,
            "body": reminder.body,
            "url": reminder.url,
            "tag": f"reminder-{reminder.id}",
        },
        separators=(",", ":"),
    ).encode()


def _finished(reminder_ids: Sequence[int]) -> tuple[set[tuple[int, int]], set[int]]:
    """(reminder, subscription) pairs already delivered or given up, which are never sent
    again, and the reminders that reached at least one device before."""
    rows = db.session.execute(
        select(Delivery.reminder_id, Delivery.subscription_id, Delivery.outcome).where(
            Delivery.reminder_id.in_(reminder_ids), Delivery.outcome.in_(FINISHED_OUTCOMES)
        )
    )
    pairs, delivered = set(), set()
    for reminder_id, subscription_id, outcome in rows:
        if subscription_id is not None:
            pairs.add((reminder_id, subscription_id))
        if outcome == "delivered":
            delivered.add(reminder_id)
    return pairs, delivered


@dataclass
class _Settled:
    """A reminder's new state after this pass's pushes, before it is written."""

    values: dict[str, object]
    delivered: bool
    retrying: bool


@dataclass
class _Batch:
    """Claimed reminders, read and turned into messages, while their pushes are out."""

    moment: datetime
    reminders: list[Row]
    subscriptions: dict[int, list[Row]]
    delivered_before: set[int]
    jobs: list[tuple[Row, Row]]
    messages: list[PushMessage]


def _prepare_batch(ids: list[int], now: datetime) -> _Batch:
    # Plain rows, not ORM objects: a fan-out reads and writes thousands at a time.
    reminders = db.session.execute(
        select(
            Reminder.id,
            Reminder.patient_id,
            Reminder.kind,
            Reminder.title,
            Reminder.body,
            Reminder.url,
            Reminder.due_at,
            Reminder.expires_at,
            Reminder.attempts,
            Reminder.delivered_at,
        ).where(Reminder.id.in_(ids))
    ).all()
    subscriptions: dict[int, list[Row]] = defaultdict(list)
    for subscription in db.session.execute(
        select(
            PushSubscription.id,
            PushSubscription.patient_id,
            PushSubscription.endpoint,
            PushSubscription.p256dh,
            PushSubscription.auth,
        ).where(
            PushSubscription.patient_id.in_({r.patient_id for r in reminders}),
            PushSubscription.disabled_at.is_(None),
        )
    ):
        subscriptions[subscription.patient_id].append(subscription)
    finished, delivered_before = _finished(ids)

    jobs: list[tuple[Row, Row]] = []
    messages: list[PushMessage] = []
    for reminder in reminders:
        ttl = int((reminder.expires_at - now).total_seconds())
        payload = _payload(reminder)
        urgency = "high" if reminder.kind.startswith("before_") and ttl <= 3 * 3600 else "normal"
        for subscription in subscriptions[reminder.patient_id]:
            if (reminder.id, subscription.id) in finished:
                continue
            jobs.append((reminder, subscription))
            messages.append(
                PushMessage(
                    subscription={
                        "endpoint": subscription.endpoint,
                        "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                    },
                    payload=payload,
                    ttl=max(60, ttl),
                    urgency=urgency,
                    topic=f"r{reminder.id}",
                )
            )
    # The reads end here: no transaction stays open while the pushes are out.
    db.session.commit()
    return _Batch(now, reminders, subscriptions, delivered_before, jobs, messages)


def _finish_batch(
    batch: _Batch, results: list[PushResult], worker: str, summary: PassSummary
) -> None:
    now = batch.moment
    summary.pushes += len(results)
    _record(batch.jobs, results, now)
    by_reminder: dict[int, list[PushResult]] = defaultdict(list)
    for (reminder, _), result in zip(batch.jobs, results, strict=True):
        by_reminder[reminder.id].append(result)
    settled = {
        reminder.id: _settle(
            reminder,
            by_reminder.get(reminder.id, []),
            delivered_before=reminder.id in batch.delivered_before,
            has_devices=bool(batch.subscriptions[reminder.patient_id]),
            now=now,
        )
        for reminder in batch.reminders
    }
    # A sender that outlived its lease has lost the reminder to another: only the owner
    # settles, and the UPDATE itself checks that this sender still owns each row.
    for reminder_id in _write_settled(settled, worker):
        outcome = settled[reminder_id]
        for result in by_reminder.get(reminder_id, []):
            summary.outcomes[result.outcome] += 1
        if outcome.retrying:
            summary.retrying += 1
        elif outcome.delivered:
            summary.delivered += 1
        else:
            summary.failed += 1
    db.session.commit()


def _record(jobs: list[tuple[Row, Row]], results: list[PushResult], now: datetime) -> None:
    """A Delivery row per push; subscriptions the push service calls gone are switched off."""
    if not jobs:
        return
    rows = []
    succeeded: list[int] = []
    gone: dict[int, list[int]] = defaultdict(list)  # by status code
    for (reminder, subscription), result in zip(jobs, results, strict=True):
        outcome = result.outcome
        rows.append(
            {
                "reminder_id": reminder.id,
                "subscription_id": subscription.id,
                "attempt": reminder.attempts + 1,
                "sent_at": now,
                "status_code": result.status,
                "outcome": outcome,
                "error": result.error,
                "duration_ms": result.duration_ms,
            }
        )
        if outcome == "delivered":
            succeeded.append(subscription.id)
        elif outcome == "gone":
            gone[result.status or 0].append(subscription.id)
    db.session.execute(insert(Delivery.__table__), rows)
    for chunk in _chunks(succeeded):
        db.session.execute(
            update(PushSubscription)
            .where(PushSubscription.id.in_(chunk))
            .values(last_success_at=now)
            .execution_options(synchronize_session=False)
        )
    for status, subscription_ids in gone.items():
        for chunk in _chunks(subscription_ids):
            db.session.execute(
                update(PushSubscription)
                .where(PushSubscription.id.in_(chunk))
                .values(
                    disabled_at=now,
                    disabled_reason=f"The push service answered {status}: gone.",
                )
                .execution_options(synchronize_session=False)
            )


def _settle(
    reminder: Row,
    results: list[PushResult],
    *,
    delivered_before: bool,
    has_devices: bool,
    now: datetime,
) -> _Settled:
    """The reminder's new state after this pass's pushes."""
    attempts = reminder.attempts + 1
    values: dict[str, object] = {"lease_until": None}
    delivered = delivered_before or any(r.outcome == "delivered" for r in results)
    delivered_at = reminder.delivered_at
    if delivered and not delivered_at:
        delivered_at = values["delivered_at"] = now
    retry = [r for r in results if r.outcome == "retry"]
    deadline = min(
        reminder.expires_at,
        reminder.due_at + timedelta(hours=current_app.config["PUSH_RETRY_HOURS"]),
    )
    errors = [r.error for r in results if r.error]
    if not has_devices and not delivered:
        values["last_error"] = "No device has reminders turned on."
        until = now + NO_DEVICE_WAIT
    elif retry:
        values["last_error"] = retry[0].error
        wait = max(backoff(attempts), timedelta(seconds=max(r.retry_after or 0 for r in retry)))
        until = now + wait
    else:
        values["state"] = "delivered" if delivered else "failed"
        values["finished_at"] = now
        values["last_error"] = "" if delivered else (errors[0] if errors else "")
        return _Settled(values, delivered, retrying=False)
    # Try again at `until`, unless that is past the deadline: then it is over.
    if until < deadline:
        values["state"] = "pending"
        values["next_attempt_at"] = until
        return _Settled(values, delivered, retrying=True)
    values["state"] = "delivered" if delivered_at else "failed"
    values["finished_at"] = now
    return _Settled(values, bool(delivered_at), retrying=False)


def _write_settled(settled: dict[int, _Settled], worker: str) -> list[int]:
    """Write each reminder's new state if this sender still owns it; the ids written."""
    # Most reminders of a fan-out end the same way: one UPDATE per distinct outcome.
    groups: dict[tuple[tuple[str, object], ...], list[int]] = defaultdict(list)
    for reminder_id, outcome in settled.items():
        groups[tuple(sorted(outcome.values.items()))].append(reminder_id)
    written: list[int] = []
    for values, reminder_ids in groups.items():
        for chunk in _chunks(reminder_ids):
            result = db.session.execute(
                update(Reminder)
                .where(
                    Reminder.id.in_(chunk),
                    Reminder.state == "sending",
                    Reminder.claimed_by == worker,
                )
                .values(attempts=Reminder.attempts + 1, **dict(values))
                .returning(Reminder.id)
                .execution_options(synchronize_session=False)
            )
            written.extend(result.scalars())
    return written


def _chunks(ids: Sequence[int], size: int = 5000) -> Iterator[Sequence[int]]:
    """Slices small enough for one statement's bound parameters (SQLite allows 32,766)."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def send_due_reminders(
    now: datetime | None = None,
    sender: WebPushSender | None = None,
    batch_size: int | None = None,
    max_batches: int = 100,
    worker: str = WORKER,
) -> PassSummary:
    """One pass: expire what can no longer help, then claim and send everything due.

    `now` is for tests (a controllable clock); otherwise each batch reads the clock afresh, so
    that a long pass neither outlives its leases nor records stale times.
    """
    from .push import make_sender

    config = current_app.config
    sender = sender or make_sender(current_app)
    lease = timedelta(seconds=config["PUSH_LEASE_SECONDS"])
    summary = PassSummary()
    summary.expired = expire_useless(now or utcnow())
    size = batch_size or config["PUSH_BATCH_SIZE"]
    out: dict[Future[list[PushResult]], _Batch] = {}
    batches_left = max_batches
    try:
        while True:
            # Claim the next batch whenever the sender has room, without waiting for the
            # batches still out: a push service that hangs holds up only its own pushes.
            while batches_left and sender.unfinished < sender.concurrency:
                moment = now or utcnow()
                ids = claim_due(moment, size, lease, worker)
                if not ids:
                    batches_left = 0  # nothing more is due
                    break
                batches_left -= 1
                summary.claimed += len(ids)
                batch = _prepare_batch(ids, moment)
                out[sender.submit(batch.messages)] = batch
            if not out:
                break
            for done in sender.wait(out, room=sender.concurrency if batches_left else 0):
                _finish_batch(out.pop(done), done.result(), worker, summary)
    finally:
        sender.close()  # the connections were kept open from one batch to the next
    # The scheduler logs one line per pass (aftercare.reminders.heartbeat).
    return summary
