"""Verification emails, sent by the scheduler: the web request only queues one.

A patient (or the clinic) saving an address sets `PatientEmail.verify_due_at`; each pass of the
scheduler claims the due ones with a conditional UPDATE and a lease, as it claims reminders,
sends them on the email channel, and records what came of each: sent, tried again later with
backoff (a 4xx, a timeout), or the address switched off (a 5xx to RCPT or DATA). A scheduler
that dies mid-send leaves its claims to run out; two schedulers never send the same one twice
while a lease holds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from ..extensions import db
from ..models import PatientEmail
from .emails import EmailChannel, verification_message
from .sender import backoff
from .smtp import EmailResult
from .states import PushOutcome

log = logging.getLogger(__name__)

# A link is opened soon or asked for again: a verification email that the mail server has not
# taken after this many tries (about four hours, with the backoff) is given up, and the
# patient's page says it was not sent.
MAX_ATTEMPTS = 10
MAX_PER_PASS = 100


def _due(now: datetime):  # noqa: ANN202 (an SQL expression)
    return and_(
        PatientEmail.verify_due_at <= now,
        or_(PatientEmail.verify_lease_until.is_(None), PatientEmail.verify_lease_until < now),
    )


def claim_verifications(now: datetime, lease: timedelta, worker: str) -> list[int]:
    """Atomically take the verification emails due now for this sender, until `now + lease`."""
    candidates = (
        select(PatientEmail.id)
        .where(_due(now))
        .order_by(PatientEmail.verify_due_at)
        .limit(MAX_PER_PASS)
    )
    claimed = db.session.execute(
        update(PatientEmail)
        # The condition again: a row another sender claimed in between is not taken.
        .where(PatientEmail.id.in_(candidates.scalar_subquery()), _due(now))
        .values(verify_lease_until=now + lease, verify_claimed_by=worker[:80])
        .returning(PatientEmail.id)
        .execution_options(synchronize_session=False)
    )
    ids = list(claimed.scalars())
    db.session.commit()
    return ids


def send_verifications(channel: EmailChannel, now: datetime, lease: timedelta, worker: str) -> int:
    """Claim, send and settle the verification emails due now; how many the mail server took."""
    ids = claim_verifications(now, lease, worker)
    if not ids:
        return 0
    emails = list(db.session.scalars(select(PatientEmail).where(PatientEmail.id.in_(ids))))
    jobs = [verification_message(email, channel.settings) for email in emails]
    db.session.commit()  # no transaction stays open while the mail server answers
    try:
        results: Sequence[EmailResult] = channel.submit(jobs).result(
            timeout=lease.total_seconds() / 2
        )
    except FutureTimeout:
        # Still out: their leases run out and a later pass sends them again.
        log.warning("reminders: %d verification emails unanswered; tried again later", len(ids))
        return 0
    sent = 0
    refused: dict[int | None, list[int]] = {}
    for email, result in zip(emails, results, strict=True):
        values: dict[str, object] = {
            "verify_lease_until": None,
            "verify_attempts": PatientEmail.verify_attempts + 1,
            "verify_error": result.error[:200],
        }
        if result.outcome == PushOutcome.DELIVERED:
            sent += 1
            values.update(verify_sent_at=now, verify_due_at=None)
        elif result.refused:
            refused.setdefault(result.status, []).append(email.patient_id)
            values.update(verify_due_at=None)
        elif email.verify_attempts + 1 >= MAX_ATTEMPTS or result.outcome == PushOutcome.FAILED:
            values.update(verify_due_at=None)
        else:
            values.update(verify_due_at=now + backoff(email.verify_attempts + 1))
        db.session.execute(
            update(PatientEmail)
            # Only the sender that still holds it settles it.
            .where(PatientEmail.id == email.id, PatientEmail.verify_claimed_by == worker[:80])
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    for status, patient_ids in refused.items():
        channel.switch_off(patient_ids, status, now)
    db.session.commit()
    return sent
