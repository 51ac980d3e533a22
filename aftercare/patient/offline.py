"""What the server needs to accept a submission that waited on the phone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
