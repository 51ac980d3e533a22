"""Which Learn article fits the patient's moment, for Today to point to."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from .articles import AFTER_A_SESSION, DURING_A_SESSION


def article_for_moment(
    now: datetime, latest_infusion_ended: datetime | None, tz: ZoneInfo, morning_hour: int
) -> str | None:
    """The slug of the one article that fits now, or None when none fits better than another.

    Before the first infusion: what happens during a session. From the end of an infusion to
    the next morning (the clinic's morning check-in hour, on its clock): what to expect
    after a session and the next day.
    """
    if latest_infusion_ended is None:
        return DURING_A_SESSION
    ended_local = latest_infusion_ended.astimezone(tz)
    next_morning = datetime.combine(
        ended_local.date() + timedelta(days=1), time(morning_hour), tzinfo=tz
    )
    if latest_infusion_ended <= now < next_morning:
        return AFTER_A_SESSION
    return None
