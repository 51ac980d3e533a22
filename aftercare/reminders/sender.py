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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, insert, or_, select, update

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
        # Rows another sender is claiming right now are skipped, not waited for.
        candidates = candidates.with_for_update(skip_locked=True)
    claimed = db.session.execute(
        update(Reminder)
        # The due condition again: a row claimed by another sender in between is not taken.
        .where(Reminder.id.in_(candidates.scalar_subquery()), _due(now))
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


def _payload(reminder: Reminder) -> bytes:
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


def _finished_pairs(reminder_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(reminder, subscription) pairs already delivered or given up: never sent again."""
    rows = db.session.execute(
        select(Delivery.reminder_id, Delivery.subscription_id).where(
            Delivery.reminder_id.in_(reminder_ids), Delivery.outcome.in_(FINISHED_OUTCOMES)
        )
    )
    return {(r, s) for r, s in rows if s is not None}


def _send_batch(
    ids: list[int], sender: WebPushSender, now: datetime, worker: str, summary: PassSummary
) -> None:
    reminders = db.session.scalars(select(Reminder).where(Reminder.id.in_(ids))).all()
    patient_ids = {r.patient_id for r in reminders}
    subscriptions: dict[int, list[PushSubscription]] = defaultdict(list)
    for subscription in db.session.scalars(
        select(PushSubscription).where(
            PushSubscription.patient_id.in_(patient_ids), PushSubscription.disabled_at.is_(None)
        )
    ):
        subscriptions[subscription.patient_id].append(subscription)
    finished = _finished_pairs(ids)
    delivered_before = {
        r
        for (r,) in db.session.execute(
            select(Delivery.reminder_id).where(
                Delivery.reminder_id.in_(ids), Delivery.outcome == "delivered"
            )
        )
    }

    jobs: list[tuple[Reminder, PushSubscription]] = []
    messages: list[PushMessage] = []
    for reminder in reminders:
        ttl = int((reminder.expires_at - now).total_seconds())
        for subscription in subscriptions[reminder.patient_id]:
            if (reminder.id, subscription.id) in finished:
                continue
            jobs.append((reminder, subscription))
            messages.append(
                PushMessage(
                    subscription=subscription.info(),
                    payload=_payload(reminder),
                    ttl=max(60, ttl),
                    urgency="high"
                    if reminder.kind.startswith("before_") and ttl <= 3 * 3600
                    else "normal",
                    topic=f"r{reminder.id}",
                )
            )

    results = sender.send_all(messages)
    summary.pushes += len(results)
    _record(jobs, results, now)
    by_reminder: dict[int, list[PushResult]] = defaultdict(list)
    for (reminder, _), result in zip(jobs, results, strict=True):
        by_reminder[reminder.id].append(result)
    # A sender that outlived its lease has lost the reminder to another: only the owner settles.
    owned = set(
        db.session.scalars(
            select(Reminder.id).where(
                Reminder.id.in_(ids), Reminder.state == "sending", Reminder.claimed_by == worker
            )
        )
    )
    for reminder in reminders:
        if reminder.id not in owned:
            continue
        _settle(
            reminder,
            by_reminder.get(reminder.id, []),
            delivered_before=reminder.id in delivered_before,
            has_devices=bool(subscriptions[reminder.patient_id]),
            now=now,
            summary=summary,
        )
    db.session.commit()


def _record(
    jobs: list[tuple[Reminder, PushSubscription]], results: list[PushResult], now: datetime
) -> None:
    """A Delivery row per push; subscriptions the push service calls gone are switched off."""
    if not jobs:
        return
    rows = []
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
            subscription.last_success_at = now
        elif outcome == "gone":
            subscription.disabled_at = now
            subscription.disabled_reason = f"The push service answered {result.status}: gone."
    db.session.execute(insert(Delivery), rows)


def _settle(
    reminder: Reminder,
    results: list[PushResult],
    *,
    delivered_before: bool,
    has_devices: bool,
    now: datetime,
    summary: PassSummary,
) -> None:
    """The reminder's new state after this pass's pushes."""
    reminder.attempts += 1
    reminder.lease_until = None
    for result in results:
        summary.outcomes[result.outcome] += 1
    delivered = delivered_before or any(r.outcome == "delivered" for r in results)
    if delivered and not reminder.delivered_at:
        reminder.delivered_at = now
    retry = [r for r in results if r.outcome == "retry"]
    deadline = min(
        reminder.expires_at,
        reminder.due_at + timedelta(hours=current_app.config["PUSH_RETRY_HOURS"]),
    )
    errors = [r.error for r in results if r.error]
    if not has_devices and not delivered:
        reminder.last_error = "No device has reminders turned on."
        _wait(reminder, now + NO_DEVICE_WAIT, deadline, now, summary)
    elif retry:
        reminder.last_error = retry[0].error
        wait = max(
            backoff(reminder.attempts), timedelta(seconds=max(r.retry_after or 0 for r in retry))
        )
        _wait(reminder, now + wait, deadline, now, summary)
    else:
        reminder.state = "delivered" if delivered else "failed"
        reminder.finished_at = now
        reminder.last_error = "" if delivered else (errors[0] if errors else "")
        if delivered:
            summary.delivered += 1
        else:
            summary.failed += 1


def _wait(
    reminder: Reminder, until: datetime, deadline: datetime, now: datetime, summary: PassSummary
) -> None:
    """Try again at `until`, unless that is past the deadline: then it is over."""
    if until < deadline:
        reminder.state = "pending"
        reminder.next_attempt_at = until
        summary.retrying += 1
        return
    reminder.state = "delivered" if reminder.delivered_at else "failed"
    reminder.finished_at = now
    if reminder.delivered_at:
        summary.delivered += 1
    else:
        summary.failed += 1


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
    for _ in range(max_batches):
        moment = now or utcnow()
        ids = claim_due(moment, batch_size or config["PUSH_BATCH_SIZE"], lease, worker)
        if not ids:
            break
        summary.claimed += len(ids)
        _send_batch(ids, sender, moment, worker, summary)
    if summary.claimed:
        log.info(
            "reminders: %d claimed, %d delivered, %d failed, %d retrying, %d expired",
            summary.claimed,
            summary.delivered,
            summary.failed,
            summary.retrying,
            summary.expired,
        )
    return summary
