"""Aftercare instructions timed from the end of the patient's infusion."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .human_time import LaterWording, human_time, wording_days, wording_over_time
from .translation import Translate, fill, untranslated

# The order patients read them in: the dangerous ones first.
ORDER = ("driving", "decisions", "alcohol", "sedatives", "companion")


@dataclass(frozen=True)
class TimedInstruction:
    key: str
    text: str
    until: datetime  # aware, in the clinic's time zone
    is_over: bool
    # How `text` will read on later days ("tomorrow at 3:40 PM" becomes "today at 3:40 PM"),
    # for a page kept on the phone.
    later: tuple[LaterWording, ...] = ()


@dataclass(frozen=True)
class MorningAnswers:
    """What a check-in after the infusion said about the night and the head."""

    slept: bool | None
    # None: not answered, which does not clear the head.
    dissociation: int | None
    confusion: int | None


def ready_to_drive(window_over: bool, since_infusion: list[MorningAnswers]) -> bool:
    """Driving waits for the clinic's window AND a night's sleep with a clear head.

    The label says "until the next day, following a restful sleep": the clock alone is not
    enough, so a check-in must say the patient slept and no longer feels detached or confused.
    """
    return window_over and any(
        a.slept is True and a.dissociation == 0 and a.confusion == 0 for a in since_infusion
    )


def timed_instructions(
    ended_at: datetime,
    now: datetime,
    tz: ZoneInfo,
    windows: Mapping[str, int],
    texts: Mapping[str, str],
    locale: str = "en",
    translate: Translate = untranslated,
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

        def words(read_at: datetime, template: str = texts[key], until: datetime = until) -> str:
            return fill(template, "until", human_time(until, read_at, tz, locale, translate))

        result.append(
            TimedInstruction(
                key=key,
                text=words(now),
                until=until,
                is_over=now >= until,
                later=tuple(wording_over_time(now, tz, words, wording_days(until, now, tz))),
            )
        )
    return result
