"""Claim what is due, send it, record every attempt: the one job the scheduler runs.

The database is the source of truth. A reminder is claimed with one conditional UPDATE (with
FOR UPDATE SKIP LOCKED on PostgreSQL), so two senders never send the same reminder; the claim
is a lease, so a sender that dies mid-send leaves its reminders to be claimed again once the
lease runs out. Each push to each device is recorded as a Delivery, whatever happened.

What is claimed goes out as the sending rules say (care/reminder_sending.py): a patient's
reminders due within the same hour as one push, and nothing in the clinic's quiet hours. A
reminder that must wait is given back, unsent, with the time it may go.

The same messages go by the reach channels (reminders/channels.py: email) to a patient who
asked for every reminder there, or whom push cannot reach: no phone subscribed, every phone's
push failed for good (404/410), or push has not got through within its grace. Each channel
records its own Delivery rows, and a reminder is never sent twice on the same channel.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from flask import current_app
from sqlalchemy import Row, and_, insert, or_, select, update

from ..care.reminder_rules import QUESTIONNAIRE_KIND
from ..care.reminder_sending import (
    DueReminder,
    Message,
    joining_window,
    message_kind,
    plan_sending,
    together_words,
)
from ..extensions import db
from ..links import external_url
from ..models import Delivery, Device, PushSubscription, Reminder, utcnow
from .channels import (
    Channels,
    Outcome,
    Outgoing,
    ReachChannel,
    Recipient,
    Sending,
    fallback_due,
)
from .grouping import ClinicRules, clinic_rules, due_reminder, group_key, words_for
from .push_transport import PushMessage, PushResult, WebPushSender
from .reply_actions import languages_of, one_appointment, push_actions
from .states import FINISHED_OUTCOMES, PushOutcome, ReminderState

log = logging.getLogger(__name__)

# Who claims: this process (host, pid and a random part), to which each pass adds its number.
WORKER = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
# With no device to send to, look again now and then: the patient may turn reminders on.
NO_DEVICE_WAIT = timedelta(minutes=15)
# How long push has to get a reminder through before a reach channel (email) carries it too.
PUSH_GRACE = timedelta(minutes=30)
PUSH = "push"


@dataclass
class PassSummary:
    """What one pass did, for the command line, tests and benchmarks."""

    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    retrying: int = 0
    expired: int = 0
    held: int = 0  # given back to wait for the end of quiet hours
    pushes: int = 0
    emails: int = 0  # messages on the reach channels (email)
    # Messages whose outcome is not on record when the pass reached its time limit: pushes
    # still out (their reminders wait for their lease) and emails never begun (given back).
    abandoned: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # Messages by channel and outcome ("push" → "delivered" → 3), and reminders held for
    # quiet hours that each channel would carry, for the scheduler's line per pass.
    by_channel: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    held_by_channel: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    verifications: int = 0  # verification emails the mail server took


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... at most an hour: how long to wait after `attempts` tries."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_WAIT)


def _due(now: datetime):  # noqa: ANN202 (an SQL expression)
    return or_(
        and_(Reminder.state == ReminderState.PENDING, Reminder.next_attempt_at <= now),
        and_(Reminder.state == ReminderState.SENDING, Reminder.lease_until < now),
    )


def expire_useless(now: datetime) -> int:
    """Reminders that fell due but can no longer help (the appointment began) are not sent."""
    result = db.session.execute(
        update(Reminder)
        .where(
            Reminder.expires_at <= now,
            or_(
                Reminder.state == ReminderState.PENDING,
                and_(Reminder.state == ReminderState.SENDING, Reminder.lease_until < now),
            ),
        )
        .values(state=ReminderState.EXPIRED, finished_at=now, lease_until=None)
    )
    db.session.commit()
    return result.rowcount or 0


def claim_due(now: datetime, limit: int, lease: timedelta, worker: str = WORKER) -> list[int]:
    """Atomically take up to `limit` due reminders for this sender, until `now + lease`."""
    return _claim(_due(now), now, lease, worker, limit)


def _joins_early(windows: dict[int, datetime]):  # noqa: ANN202 (an SQL expression)
    return and_(
        Reminder.state == ReminderState.PENDING,
        Reminder.patient_id.in_(windows),
        Reminder.kind.startswith(QUESTIONNAIRE_KIND),
        Reminder.next_attempt_at < max(windows.values()),
    )


def claim_joining(
    windows: dict[int, datetime], now: datetime, lease: timedelta, worker: str = WORKER
) -> list[int]:
    """Atomically take the questionnaire reminders that may go with these patients' due ones:
    due before the end of each patient's window (`windows`, by patient)."""
    if not windows:
        return []
    return _claim(_joins_early(windows), now, lease, worker)


def _claim(
    condition,  # noqa: ANN001 (an SQL expression)
    now: datetime,
    lease: timedelta,
    worker: str,
    limit: int | None = None,
) -> list[int]:
    """Atomically take the reminders that meet `condition` (up to `limit`, soonest first)."""
    candidates = (
        select(Reminder.id).where(condition).order_by(Reminder.next_attempt_at).limit(limit)
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
        # The condition again: a row claimed by another sender in between is not taken.
        .where(picked, condition)
        .values(
            state=ReminderState.SENDING,
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


def _payload(reminder: Row, language: str | None = None) -> bytes:
    """What the service worker shows for one reminder; nothing clinical, a lock screen is
    public. With the patient's `language`, an appointment's reminder offers its answers."""
    return _json(
        reminder.title,
        reminder.body,
        reminder.url,
        f"reminder-{reminder.id}",
        _answers([reminder], language),
    )


def _answers(reminders: Sequence[Row], language: str | None) -> dict[str, object]:
    """The appointment the notification can answer and its action buttons, if it is about
    exactly one: its id only, nothing else about it."""
    if language is None:
        return {}
    appointment_id = one_appointment(reminders)
    if appointment_id is None:
        return {}
    return {"appointment": appointment_id, "actions": push_actions(language)}


def _json(
    title: str, body: str, url: str, tag: str, extra: dict[str, object] | None = None
) -> bytes:
    return json.dumps(
        # The url is absolute from AFTERCARE_BASE_URL when set; the worker opens only its own.
        {"title": title, "body": body, "url": external_url(url), "tag": tag, **(extra or {})},
        separators=(",", ":"),
    ).encode()


def _push_for(
    reminders: Sequence[Row],
    patient_id: int,
    words: dict[int, dict[str, str]],
    languages: dict[int, str] | None = None,
) -> tuple[bytes, str]:
    """The payload and topic of one push carrying `reminders`: a message's, or those of them
    that this phone has not had yet, counted anew."""
    language = (languages or {}).get(patient_id)
    if len(reminders) == 1:
        (reminder,) = reminders
        return _payload(reminder, language), f"r{reminder.id}"
    ids = tuple(r.id for r in reminders)
    said = together_words(
        Message(ids, patient_id, message_kind([r.kind for r in reminders])), words[patient_id]
    )
    key = group_key(ids)
    extra = _answers(reminders, language)
    return _json(said.title, said.body, said.url, f"reminders-{key}", extra), f"g{key}"


@dataclass(frozen=True)
class _Finished:
    """What earlier passes finished: never sent again."""

    pushes: set[tuple[int, int]]  # (reminder, subscription) delivered or given up
    reached: set[tuple[int, str]]  # (reminder, reach channel) delivered or given up
    delivered: set[int]  # reminders that reached the patient on any channel


def _finished(reminder_ids: Sequence[int]) -> _Finished:
    rows = db.session.execute(
        select(
            Delivery.reminder_id, Delivery.channel, Delivery.subscription_id, Delivery.outcome
        ).where(Delivery.reminder_id.in_(reminder_ids), Delivery.outcome.in_(FINISHED_OUTCOMES))
    )
    found = _Finished(set(), set(), set())
    for reminder_id, channel, subscription_id, outcome in rows:
        if channel != PUSH:
            found.reached.add((reminder_id, channel))
        elif subscription_id is not None:
            found.pushes.add((reminder_id, subscription_id))
        if outcome == PushOutcome.DELIVERED:
            found.delivered.add(reminder_id)
    return found


class ClaimedReminder(Protocol):
    """What settling reads of a claimed reminder (a row of `_prepare_batch`'s query)."""

    @property
    def attempts(self) -> int: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def delivered_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class Settled:
    """A reminder's new state after this pass's pushes, before it is written."""

    values: dict[str, object]
    delivered: bool
    retrying: bool


# One message on one channel carrying one reminder or several: to a phone's subscription
# (push), or to the patient's address on a reach channel.
Job = tuple[tuple[Row, ...], str, Row | Recipient]


@dataclass
class _Batch:
    """Claimed reminders, read and turned into pushes, while their pushes are out."""

    moment: datetime
    reminders: list[Row]  # those going out now; the ones held back are already given back
    subscriptions: dict[int, list[Row]]
    delivered_before: set[int]
    rules: dict[int, ClinicRules]  # by clinic
    jobs: list[Job]
    messages: list[Outgoing]
    # Patients a reach channel can reach, and reminders one could still carry after this pass.
    reachable: set[int] = field(default_factory=set)
    fallback_left: set[int] = field(default_factory=set)
    reach: dict[str, ReachChannel] = field(default_factory=dict)  # by name


def _read_claimed(ids: Sequence[int], worker: str) -> list[Row]:
    # Plain rows, not ORM objects: a fan-out reads and writes thousands at a time.
    return db.session.execute(
        select(
            Reminder.id,
            Reminder.clinic_id,
            Reminder.patient_id,
            Reminder.appointment_id,
            Reminder.kind,
            Reminder.title,
            Reminder.body,
            Reminder.url,
            Reminder.due_at,
            Reminder.expires_at,
            Reminder.next_attempt_at,
            Reminder.attempts,
            Reminder.delivered_at,
        ).where(
            Reminder.id.in_(ids),
            # Still this pass's: a pass that was stalled past its lease sends nothing that a
            # newer pass has claimed since.
            Reminder.state == ReminderState.SENDING,
            Reminder.claimed_by == worker,
        )
    ).all()


def _by_clinic(reminders: list[Row]) -> dict[int, list[DueReminder]]:
    found: dict[int, list[DueReminder]] = defaultdict(list)
    for reminder in reminders:
        found[reminder.clinic_id].append(due_reminder(reminder))
    return found


def _windows(
    reminders: list[Row], rules: dict[int, ClinicRules], now: datetime
) -> dict[int, datetime]:
    """Per patient, the end of the hour in which their questionnaires join what goes now."""
    windows: dict[int, datetime] = {}
    for clinic_id, theirs in _by_clinic(reminders).items():
        clinic = rules[clinic_id]
        windows.update(joining_window(theirs, now, clinic.tz, clinic.quiet))
    return windows


def _plan(
    reminders: list[Row], rules: dict[int, ClinicRules], now: datetime
) -> tuple[list[Message], dict[int, datetime]]:
    """The sending rules, clinic by clinic: the messages going now, and when the rest may."""
    messages: list[Message] = []
    later: dict[int, datetime] = {}
    for clinic_id, theirs in _by_clinic(reminders).items():
        clinic = rules[clinic_id]
        plan = plan_sending(theirs, now, clinic.tz, clinic.quiet)
        messages.extend(plan.messages)
        later.update(plan.later)
    return messages, later


def _give_back(later: dict[int, datetime], worker: str) -> None:
    """Reminders claimed but not sent now go back to waiting, each until its time.

    The claim did not lead to a send, so it is not counted: more claims than attempts keeps
    meaning that a sender died mid-send.
    """
    by_time: dict[datetime, list[int]] = defaultdict(list)
    for reminder_id, until in later.items():
        by_time[until].append(reminder_id)
    for until, reminder_ids in by_time.items():
        for chunk in _chunks(reminder_ids):
            db.session.execute(
                update(Reminder)
                .where(
                    Reminder.id.in_(chunk),
                    Reminder.state == ReminderState.SENDING,
                    Reminder.claimed_by == worker,
                )
                .values(
                    state=ReminderState.PENDING,
                    next_attempt_at=until,
                    lease_until=None,
                    claims=Reminder.claims - 1,
                )
                .execution_options(synchronize_session=False)
            )


def _count_held(held: list[Row], reach: Sequence[ReachChannel], summary: PassSummary) -> None:
    """Count the reminders held for quiet hours by the channels that would carry them: push to
    a subscribed phone; a reach channel when the patient asked for every reminder there, or
    has no phone to push to."""
    patients = {r.patient_id for r in held}
    pushable = set(
        db.session.scalars(
            select(PushSubscription.patient_id)
            .join(Device, Device.id == PushSubscription.device_id)
            .where(
                PushSubscription.patient_id.in_(patients),
                PushSubscription.disabled_at.is_(None),
                Device.revoked_at.is_(None),
            )
        )
    )
    summary.held_by_channel[PUSH] += sum(1 for r in held if r.patient_id in pushable)
    for channel in reach:
        recipients = channel.recipients(patients)
        summary.held_by_channel[channel.name] += sum(
            1
            for r in held
            if r.patient_id in recipients
            and (recipients[r.patient_id].always or r.patient_id not in pushable)
        )


def _prepare_batch(
    ids: list[int],
    now: datetime,
    worker: str,
    lease: timedelta,
    summary: PassSummary,
    reach: Sequence[ReachChannel] = (),
) -> _Batch:
    reminders = _read_claimed(ids, worker)
    rules = clinic_rules({r.clinic_id for r in reminders})
    # A patient's questionnaires due within the hour go with the reminders going now.
    windows = _windows(reminders, rules, now)
    if windows:
        joining = claim_joining(windows, now, lease, worker)
        summary.claimed += len(joining)
        reminders += _read_claimed(joining, worker)
    messages, later = _plan(reminders, rules, now)
    _give_back(later, worker)
    # Those that were due wait for the end of quiet hours; the others were not due yet.
    held = [r for r in reminders if r.id in later and r.next_attempt_at <= now]
    summary.held += len(held)
    if held:
        _count_held(held, reach, summary)
    going = {reminder_id for message in messages for reminder_id in message.reminder_ids}
    reminders = [r for r in reminders if r.id in going]
    by_id = {r.id: r for r in reminders}

    subscriptions: dict[int, list[Row]] = defaultdict(list)
    for subscription in db.session.execute(
        select(
            PushSubscription.id,
            PushSubscription.patient_id,
            PushSubscription.endpoint,
            PushSubscription.p256dh,
            PushSubscription.auth,
        )
        # Only to phones still linked: an unlinked phone loses its subscription at once, and
        # this keeps it so even for a row that was somehow left behind.
        .join(Device, Device.id == PushSubscription.device_id)
        .where(
            PushSubscription.patient_id.in_({r.patient_id for r in reminders}),
            PushSubscription.disabled_at.is_(None),
            Device.revoked_at.is_(None),
            Device.patient_id == PushSubscription.patient_id,
        )
    ):
        subscriptions[subscription.patient_id].append(subscription)
    done = _finished(list(going))
    finished, delivered_before = done.pushes, done.delivered
    words = words_for({m.patient_id for m in messages if m.count > 1})
    # The language of the answer buttons, for those whose reminders are about an appointment.
    languages = languages_of({r.patient_id for r in reminders if r.appointment_id is not None})

    jobs: list[Job] = []
    pushes: list[Outgoing] = []
    for message in messages:
        for subscription in subscriptions[message.patient_id]:
            # Each phone is sent what it has not had yet: one reminder, or several counted.
            carried = tuple(
                by_id[reminder_id]
                for reminder_id in message.reminder_ids
                if (reminder_id, subscription.id) not in finished
            )
            if not carried:
                continue
            payload, topic = _push_for(carried, message.patient_id, words, languages)
            ttl = int((min(r.expires_at for r in carried) - now).total_seconds())
            soon = len(carried) == 1 and carried[0].kind.startswith("before_") and ttl <= 3 * 3600
            jobs.append((carried, PUSH, subscription))
            message_out = PushMessage(
                subscription={
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                payload=payload,
                ttl=max(60, ttl),
                urgency="high" if soon else "normal",
                topic=topic,
            )
            pushes.append(Outgoing(PUSH, message_out))
    batch = _Batch(now, reminders, subscriptions, delivered_before, rules, jobs, pushes)
    batch.reach = {channel.name: channel for channel in reach}
    for channel in reach:
        _reach_by(channel, messages, by_id, batch, done, words)
    # The reads end here: no transaction stays open while the messages are out.
    db.session.commit()
    return batch


def _reach_by(
    channel: ReachChannel,
    messages: list[Message],
    by_id: dict[int, Row],
    batch: _Batch,
    done: _Finished,
    words: dict[int, dict[str, str]],
) -> None:
    """Add to the batch what goes by this reach channel: to patients who asked for every
    reminder there, and the reminders push cannot deliver."""
    recipients = channel.recipients({m.patient_id for m in messages})
    batch.reachable.update(recipients)
    for message in messages:
        recipient = recipients.get(message.patient_id)
        if recipient is None:
            continue
        subscriptions = batch.subscriptions[message.patient_id]
        carried, left = [], []
        for reminder_id in message.reminder_ids:
            if (reminder_id, channel.name) in done.reached:
                continue
            reminder = by_id[reminder_id]
            pushed = all((reminder_id, s.id) in done.pushes for s in subscriptions)
            goes = recipient.always or (
                reminder_id not in done.delivered
                and fallback_due(
                    reminder,
                    batch.moment,
                    has_push=bool(subscriptions),
                    push_finished=pushed,
                    grace=PUSH_GRACE,
                )
            )
            (carried if goes else left).append(reminder)
        batch.fallback_left.update(r.id for r in left)
        if not carried:
            continue
        # The message's own wording when counted: read for the patient if push did not.
        if len(carried) > 1 and message.patient_id not in words:
            words.update(words_for({message.patient_id}))
        batch.jobs.append((tuple(carried), channel.name, recipient))
        composed = channel.compose(carried, recipient, words.get(message.patient_id, {}))
        batch.messages.append(Outgoing(channel.name, composed))


def _finish_batch(
    batch: _Batch,
    results: list[Outcome],
    worker: str,
    summary: PassSummary,
    retry_for: timedelta,
) -> None:
    now = batch.moment
    for (_, channel, _), result in zip(batch.jobs, results, strict=True):
        if channel == PUSH:
            summary.pushes += 1
        else:
            summary.emails += 1
        summary.by_channel[channel][result.outcome] += 1
    _record(batch.jobs, results, now, batch.reach)
    by_reminder: dict[int, list[Outcome]] = defaultdict(list)
    for (carried, _, _), result in zip(batch.jobs, results, strict=True):
        for reminder in carried:
            by_reminder[reminder.id].append(result)
    # When each clinic's quiet hours last ended: no retry window closes during them.
    retry_from = {clinic_id: rules.retry_from(now) for clinic_id, rules in batch.rules.items()}
    settled = {
        reminder.id: settle(
            reminder,
            by_reminder.get(reminder.id, []),
            delivered_before=reminder.id in batch.delivered_before,
            has_devices=bool(batch.subscriptions[reminder.patient_id])
            or reminder.patient_id in batch.reachable,
            now=now,
            retry_for=retry_for,
            retry_from=retry_from[reminder.clinic_id],
            fallback_left=reminder.id in batch.fallback_left,
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


def _finish_cut_off(
    batch: _Batch, sending: Sending, worker: str, summary: PassSummary, retry_for: timedelta
) -> None:
    """A batch still out when the pass reached its time limit.

    Every message a reach channel answered is recorded: an email the mail server took is
    delivered, and is never sent again. A reminder whose messages are all on record is
    settled; one whose messages were never begun is given back, to go on the next pass. A
    reminder with a push on the batch waits for its lease, answered or not, as it always has.
    """
    jobs: list[Job] = []
    results: list[Outcome] = []
    open_ids: set[int] = set()  # reminders with a message not on record
    uncertain: set[int] = set()  # ...and one of those may have gone (a push cut off)
    for index, (job, answer) in enumerate(zip(batch.jobs, sending.answered, strict=True)):
        carried, channel, _ = job
        if channel != PUSH and answer is not None:
            jobs.append(job)
            results.append(answer)
            continue
        summary.abandoned += 1
        open_ids.update(r.id for r in carried)
        if index not in sending.not_sent:
            uncertain.update(r.id for r in carried)
    settled = replace(
        batch, reminders=[r for r in batch.reminders if r.id not in open_ids], jobs=jobs
    )
    _finish_batch(settled, results, worker, summary, retry_for)
    # Nothing left of theirs went: the claim did not lead to a send, and they go on the next
    # pass rather than wait for the lease.
    _give_back(dict.fromkeys(open_ids - uncertain, batch.moment), worker)
    db.session.commit()


def _record(
    jobs: list[Job],
    results: list[Outcome],
    now: datetime,
    reach: dict[str, ReachChannel] | None = None,
) -> None:
    """A Delivery row per reminder per message, on its channel; subscriptions the push
    service calls gone, and addresses a reach channel's server refused, are switched off."""
    if not jobs:
        return
    rows = []
    succeeded: list[int] = []
    # Subscriptions to switch off, by the reason given: gone, or an endpoint now refused.
    switch_off: dict[str, list[int]] = defaultdict(list)
    # Patients whose address was refused for good, by channel and the server's code.
    refused: dict[tuple[str, int | None], list[int]] = defaultdict(list)
    for (carried, channel, to), result in zip(jobs, results, strict=True):
        outcome = result.outcome
        # One message carrying several reminders delivers (or fails) each of them.
        for reminder in carried:
            rows.append(
                {
                    "reminder_id": reminder.id,
                    "channel": channel,
                    "subscription_id": to.id if channel == PUSH else None,  # type: ignore[union-attr]
                    "attempt": reminder.attempts + 1,
                    "sent_at": now,
                    "status_code": result.status,
                    "outcome": outcome,
                    "error": result.error,
                    "duration_ms": result.duration_ms,
                }
            )
        if channel != PUSH:
            if result.refused:
                refused[(channel, result.status)].append(to.patient_id)  # type: ignore[union-attr]
            continue
        if outcome == PushOutcome.DELIVERED:
            succeeded.append(to.id)  # type: ignore[union-attr]
        elif outcome == PushOutcome.GONE:
            switch_off[f"The push service answered {result.status}: gone."].append(to.id)  # type: ignore[union-attr]
        elif result.refused:
            switch_off[result.error[:200]].append(to.id)  # type: ignore[union-attr]
    db.session.execute(insert(Delivery.__table__), rows)
    for chunk in _chunks(succeeded):
        db.session.execute(
            update(PushSubscription)
            .where(PushSubscription.id.in_(chunk))
            .values(last_success_at=now)
            .execution_options(synchronize_session=False)
        )
    for reason, subscription_ids in switch_off.items():
        for chunk in _chunks(subscription_ids):
            db.session.execute(
                update(PushSubscription)
                .where(PushSubscription.id.in_(chunk))
                .values(disabled_at=now, disabled_reason=reason)
                .execution_options(synchronize_session=False)
            )
    for (channel, status), patient_ids in refused.items():
        if reach and channel in reach:
            reach[channel].switch_off(patient_ids, status, now)


def settle(
    reminder: ClaimedReminder,
    results: Sequence[Outcome],
    *,
    delivered_before: bool,
    has_devices: bool,
    now: datetime,
    retry_for: timedelta,
    retry_from: datetime | None = None,
    fallback_left: bool = False,
) -> Settled:
    """The reminder's new state after this pass's messages (`results`, one per phone or
    address).

    `has_devices`: the patient can be reached at all (a phone subscribed, or an address on a
    reach channel). `fallback_left`: a reach channel could still carry it, once push has
    failed; a reminder push could not deliver then waits for that instead of failing.

    It is retried (back to pending, with backoff and Retry-After) while a push may still get
    through, but never past `retry_for` after it fell due nor past its expiry (the
    appointment). A reminder that reached any phone, in this pass or before, is delivered.

    `retry_from` is when the clinic's quiet hours last ended: the retry window counts from
    then if that is later than the reminder's due time, so that the night it waited (or went
    untried) does not use the window up.
    """
    attempts = reminder.attempts + 1
    values: dict[str, object] = {"lease_until": None}
    delivered = delivered_before or any(r.outcome == PushOutcome.DELIVERED for r in results)
    delivered_at = reminder.delivered_at
    if delivered and not delivered_at:
        delivered_at = values["delivered_at"] = now
    retry = [r for r in results if r.outcome == PushOutcome.RETRY]
    window_from = max(reminder.due_at, retry_from) if retry_from else reminder.due_at
    deadline = min(reminder.expires_at, window_from + retry_for)
    errors = [r.error for r in results if r.error]
    if not has_devices and not delivered:
        values["last_error"] = "No device has reminders turned on."
        until = now + NO_DEVICE_WAIT
    elif retry:
        values["last_error"] = retry[0].error
        wait = max(backoff(attempts), timedelta(seconds=max(r.retry_after or 0 for r in retry)))
        until = now + wait
    elif fallback_left and not delivered:
        # Push failed for good: the next pass sends it by the reach channel.
        values["last_error"] = errors[0] if errors else ""
        until = now
    else:
        values["state"] = ReminderState.DELIVERED if delivered else ReminderState.FAILED
        values["finished_at"] = now
        values["last_error"] = "" if delivered else (errors[0] if errors else "")
        return Settled(values, delivered, retrying=False)
    # Try again at `until`, unless that is past the deadline: then it is over.
    if until < deadline:
        values["state"] = ReminderState.PENDING
        values["next_attempt_at"] = until
        return Settled(values, delivered, retrying=True)
    values["state"] = ReminderState.DELIVERED if delivered_at else ReminderState.FAILED
    values["finished_at"] = now
    return Settled(values, bool(delivered_at), retrying=False)


def _write_settled(settled: dict[int, Settled], worker: str) -> list[int]:
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
                    Reminder.state == ReminderState.SENDING,
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
    worker: str | None = None,
    reach: Sequence[ReachChannel] | None = None,
) -> PassSummary:
    """One pass: expire what can no longer help, then claim and send everything due.

    `now` is for tests (a controllable clock); otherwise each batch reads the clock afresh, so
    that a long pass neither outlives its leases nor records stale times.

    A pass has a bounded duration: it claims for at most half a lease, and waits for its pushes
    until three quarters of a lease. Pushes still out then are cancelled; their reminders stay
    claimed, and are claimed again (by the next pass) when their lease runs out.

    `sender` is the push channel and `reach` the others (email when AFTERCARE_SMTP_URL is
    set); each is made from the settings unless given.
    """
    from .emails import EmailChannel
    from .push_subscriptions import make_sender, reach_channels
    from .verification import send_verifications

    config = current_app.config
    reach = reach_channels(current_app) if reach is None else reach
    channels = Channels({PUSH: sender or make_sender(current_app), **{c.name: c for c in reach}})
    worker = worker or next_pass_worker()
    lease = timedelta(seconds=config["PUSH_LEASE_SECONDS"])
    retry_for = timedelta(hours=config["PUSH_RETRY_HOURS"])
    started = time.monotonic()
    stop_claiming = started + lease.total_seconds() / 2
    stop_waiting = started + lease.total_seconds() * 3 / 4
    summary = PassSummary()
    size = batch_size or config["PUSH_BATCH_SIZE"]
    out: dict[Sending, _Batch] = {}
    batches_left = max_batches
    try:
        summary.expired = expire_useless(now or utcnow())
        email = next((c for c in reach if isinstance(c, EmailChannel)), None)
        if email is not None:
            # Queued by the web request (patient_email.queue_verification): sent from here.
            summary.verifications = send_verifications(email, now or utcnow(), lease, worker)
        while True:
            # Claim the next batch whenever the sender has room, without waiting for the
            # batches still out: a push service that hangs holds up only its own pushes.
            while batches_left and channels.unfinished < channels.concurrency:
                if time.monotonic() >= stop_claiming:
                    batches_left = 0  # what is still due is the next pass's
                    break
                moment = now or utcnow()
                ids = claim_due(moment, size, lease, worker)
                if not ids:
                    batches_left = 0  # nothing more is due
                    break
                batches_left -= 1
                summary.claimed += len(ids)
                batch = _prepare_batch(ids, moment, worker, lease, summary, reach)
                out[channels.submit(batch.messages)] = batch
            if not out:
                break
            left = stop_waiting - time.monotonic()
            if left <= 0:
                # Closing cancels what has not begun and waits for the emails being handed
                # to the mail server: after it, every message's fate is as known as it gets.
                channels.close()
                for sending, batch in out.items():
                    _finish_cut_off(batch, sending, worker, summary, retry_for)
                log.warning(
                    "reminders: the pass reached its time limit with %d messages unanswered; "
                    "pushes still out are sent again once their lease runs out",
                    summary.abandoned,
                )
                break
            room = channels.concurrency if batches_left else 0
            for done in channels.wait(out, room=room, timeout=left):
                batch = out.pop(done)
                results = _results_of(done, len(batch.messages))
                if results is not None:
                    _finish_batch(batch, results, worker, summary, retry_for)
    finally:
        channels.close()  # the connections were kept open from one batch to the next
    # The scheduler logs one line per pass (aftercare.reminders.heartbeat).
    return summary


def _results_of(done: Future[list[Outcome]], count: int) -> list[Outcome] | None:
    """A finished batch's results; if the sender itself failed, a retry for each message. None
    for a batch that was cancelled: its reminders are left to their lease."""
    if done.cancelled():
        return None
    error = done.exception()
    if error is None:
        return done.result()
    log.error("reminders: the push sender failed a whole batch", exc_info=error)
    return [PushResult(None, error=f"sender failed: {type(error).__name__}")] * count


_passes = itertools.count(1)


def next_pass_worker() -> str:
    """A name for one pass's claims: this process, and which of its passes.

    A pass that was given up as stuck and wakes up later then cannot settle reminders that a
    newer pass claimed again.
    """
    return f"{WORKER}/{next(_passes)}"
