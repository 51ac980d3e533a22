"""What the server needs to accept a submission that waited on the phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from ..extensions import db

T = TypeVar("T")

# A phone's clock can be off; a time in the future or months ago is not believed.
CLOCK_AHEAD = timedelta(minutes=10)
KEPT_AT_MOST = timedelta(days=30)


def believable_time(raw: str | None, now: datetime | None = None) -> datetime | None:
    """When the phone says the patient filled the form in, as UTC, if it is believable."""
    try:
        moment = datetime.fromisoformat(raw or "")
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    now = now or datetime.now(UTC)
    if moment > now + CLOCK_AHEAD or moment < now - KEPT_AT_MOST:
        return None
    return moment.astimezone(UTC)


def store_once(write: Callable[[], T], stored_under_key: Callable[[], T | None]) -> tuple[T, bool]:
    """Write and commit a new submission; if a twin with its key won the race, return the twin.

    A phone may send the same queued submission twice at once (the page and the service worker
    both flushing); the unique (patient, key) constraint lets only one in, at the insert or at
    the commit.
    """
    try:
        new = write()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        stored = stored_under_key()
        if stored is None:
            raise
        return stored, False
    return new, True
