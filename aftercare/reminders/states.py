"""The states a reminder goes through, and what one push to one phone can come to.

Both are stored as these lowercase strings (`Reminder.state`, `Delivery.outcome`); being
`StrEnum`s, they compare equal to what is read back from the database.
"""

from __future__ import annotations

from enum import StrEnum


class ReminderState(StrEnum):
    """Where a reminder is: waiting, out, or finished (one of the last four)."""

    PENDING = "pending"  # waiting to fall due, or for its next retry
    SENDING = "sending"  # claimed by a sender until its lease runs out
    DELIVERED = "delivered"  # reached at least one phone
    FAILED = "failed"  # no phone took it before its deadline
    EXPIRED = "expired"  # fell due when it could no longer help (the appointment began)
    # No longer wanted: replanned, answered early, or its appointment was cancelled.
    CANCELLED = "cancelled"


class PushOutcome(StrEnum):
    """What one push to one subscription came to."""

    DELIVERED = "delivered"  # the push service took it
    GONE = "gone"  # the subscription no longer exists (404, 410): it is switched off
    RETRY = "retry"  # a temporary failure (429, 5xx, timeouts, network): try again later
    FAILED = "failed"  # cannot be sent to this subscription as it is: not tried again


# Outcomes after which that subscription is never sent this reminder again.
FINISHED_OUTCOMES = frozenset({PushOutcome.DELIVERED, PushOutcome.GONE, PushOutcome.FAILED})
