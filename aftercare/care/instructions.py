"""Aftercare instructions timed from the end of the patient's infusion."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from .translation import fill

# The order patients read them in: the dangerous ones first.
ORDER = ("driving", "decisions", "alcohol", "sedatives", "companion")


@dataclass(frozen=True)
class TimedInstruction:
    key: str
    text: str
    until: datetime  # aware, in the clinic's time zone
    is_over: bool


@dataclass(frozen=True)
class MorningAnswers:
    """What a check-in after the infusion said about the night and the head."""

    slept: bool | None
    dissociation: int
    confusion: int


def ready_to_drive(window_over: bool, since_infusion: list[MorningAnswers]) -> bool:
    """Driving waits for the clinic's window AND a night's sleep with a clear head.

    The label says "until the next day, following a restful sleep": the clock alone is not
    enough, so a check-in must say the patient slept and no longer feels detached or confused.
    """
    return window_over and any(
        a.slept is True and a.dissociation == 0 and a.confusion == 0 for a in since_infusion
    )


# A weekday and a clock time. Spanish keeps a comma, so that "hasta el sábado, 3:40 p. m."
# needs no "a la"/"a las" (one o'clock takes the singular).
MOMENT_PATTERNS = {"en": "EEEE h:mm a", "es": "EEEE, h:mm a"}


def format_moment(moment: datetime, tz: ZoneInfo, locale: str = "en") -> str:
    """A weekday and a clock time in the clinic's zone, e.g. 'Saturday 3:40 PM'."""
    pattern = MOMENT_PATTERNS.get(locale, MOMENT_PATTERNS["en"])
    return format_datetime(moment.astimezone(tz), pattern, locale=locale)


def timed_instructions(
    ended_at: datetime,
    now: datetime,
    tz: ZoneInfo,
    windows: Mapping[str, int],
    texts: Mapping[str, str],
    locale: str = "en",
) -> list[TimedInstruction]:
    """Each instruction with the moment it ends, counted in real hours from the infusion's end.

    Hours are added in UTC, so a window that spans a daylight-saving change still lasts its full
    length: 24 hours after 3 PM on the Saturday before the clocks go forward ends at 4 PM.
    """
    if ended_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("ended_at and now must be aware datetimes")
    result = []
    for key in ORDER:
        until = (ended_at + timedelta(hours=windows[key])).astimezone(tz)
        text = fill(texts[key], "until", format_moment(until, tz, locale))
        result.append(TimedInstruction(key=key, text=text, until=until, is_over=now >= until))
    return result
