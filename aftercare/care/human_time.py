"""Moments in the words a drowsy patient reads at a glance: "tonight at 11 PM", "tomorrow at
noon", "Saturday at 3:40 PM", in the clinic's time zone and the patient's language.

Every time a patient sees (Today's rules, appointments, results, reminders) is worded here, and
only here. Pure: no Flask. Weekday names, dates and clock times come from Babel's locale data;
the few joining words ("tonight", "at noon") are catalog messages, passed in as `translate`.

The wording depends on the day it is read: "tomorrow at 3:40 PM" becomes "today at 3:40 PM" at
midnight. A page kept on the phone for offline use carries its later wordings
(`wording_over_time`), so its script can switch at each of the clinic's midnights with no server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time

from .translation import N_, P_, Translate, in_context, untranslated

# From this hour a time later today is "tonight".
EVENING_FROM = 18
# Further away than this, in days, a moment is named by its date as well as its weekday.
WEEKDAY_ONLY_WITHIN = 6
# A page kept on the phone longer than this is out of date anyway: its wordings stop here.
WORDINGS_FOR_DAYS = 8

# {at} becomes one of the AT_ messages below.
TODAY = N_("today {at}")
TONIGHT = N_("tonight {at}")
TOMORROW = N_("tomorrow {at}")
YESTERDAY = N_("yesterday {at}")
WEEKDAY = N_("{weekday} {at}")
DATE = N_("{date} {at}")
# Midnight ends a day, so it is named by the night it ends: "tonight at midnight".
TOMORROW_NIGHT = N_("tomorrow night {at}")
LAST_NIGHT = N_("last night {at}")
AT_TIME = N_("at {time}")
# Spanish says "a la 1:30" but "a las 3:30": one o'clock has its own message.
AT_ONE_OCLOCK = P_("one o'clock", "at {time}")
AT_NOON = N_("at noon")
AT_MIDNIGHT = N_("at midnight")

# Babel patterns for a date named in full, in each language (others fall back to English).
DATE_PATTERNS = {
    "en": ("EEEE, MMMM d", "EEEE, MMMM d, y"),
    "es": ("EEEE d 'de' MMMM", "EEEE d 'de' MMMM 'de' y"),
}


def _clock(local: datetime, locale: str, translate: Translate) -> str:
    """'at 3:40 PM', 'at 11 PM', 'at noon', 'at midnight' (Spanish 'a la 1 p. m.')."""
    if local.minute == 0 and local.hour == 12:
        return translate(AT_NOON)
    if local.minute == 0 and local.hour == 0:
        return translate(AT_MIDNIGHT)
    clock = format_time(local, "h a" if local.minute == 0 else "h:mm a", locale=locale)
    at = in_context(translate, AT_ONE_OCLOCK) if local.hour % 12 == 1 else translate(AT_TIME)
    return at.replace("{time}", clock)


def _named_day(local: datetime) -> date:
    """The day a moment belongs to: midnight is the end of the day before."""
    if local.time() == time(0):
        return local.date() - timedelta(days=1)
    return local.date()


def human_time(
    moment: datetime,
    now: datetime,
    tz: ZoneInfo,
    locale: str = "en",
    translate: Translate = untranslated,
) -> str:
    """A moment as a patient reads it on the day of `now`, in the clinic's zone `tz`."""
    if moment.tzinfo is None or now.tzinfo is None:
        raise ValueError("moment and now must be aware datetimes")
    local = moment.astimezone(tz)
    at = _clock(local, locale, translate)
    day = _named_day(local)
    days = (day - now.astimezone(tz).date()).days
    midnight = local.time() == time(0)
    if days == 0:
        template = TONIGHT if midnight or local.hour >= EVENING_FROM else TODAY
    elif days == 1:
        template = TOMORROW_NIGHT if midnight else TOMORROW
    elif days == -1:
        template = LAST_NIGHT if midnight else YESTERDAY
    elif abs(days) <= WEEKDAY_ONLY_WITHIN:
        weekday = format_datetime(datetime.combine(day, time(12)), "EEEE", locale=locale)
        return translate(WEEKDAY).replace("{weekday}", weekday).replace("{at}", at)
    else:
        short, with_year = DATE_PATTERNS.get(locale, DATE_PATTERNS["en"])
        pattern = short if day.year == now.astimezone(tz).year else with_year
        named = format_datetime(datetime.combine(day, time(12)), pattern, locale=locale)
        return translate(DATE).replace("{date}", named).replace("{at}", at)
    return translate(template).replace("{at}", at)


@dataclass(frozen=True)
class LaterWording:
    """From `starts` on, the text reads `text`."""

    starts: datetime
    text: str


def clinic_midnights(now: datetime, tz: ZoneInfo, last_day: date) -> list[datetime]:
    """The start of each of the clinic's days after `now`'s, up to `last_day`, as instants.

    Built from the calendar in the clinic's zone, so a day that gains or loses an hour to a
    daylight-saving change still starts at its own midnight.
    """
    first = now.astimezone(tz).date() + timedelta(days=1)
    last_day = min(last_day, first + timedelta(days=WORDINGS_FOR_DAYS - 1))
    return [
        datetime.combine(first + timedelta(days=n), time(0), tzinfo=tz)
        for n in range((last_day - first).days + 1)
    ]


def wording_over_time(
    now: datetime, tz: ZoneInfo, words: Callable[[datetime], str], last_day: date
) -> list[LaterWording]:
    """How a text worded by `words(read_at)` will read on each later day, up to `last_day`.

    human_time's wording changes only at the clinic's midnights (whether a time is "tonight"
    depends on the time itself, not on when it is read), so reading it once at each midnight
    gives every wording the text will have. Only changes are listed.
    """
    later: list[LaterWording] = []
    current = words(now)
    for midnight in clinic_midnights(now, tz, last_day):
        text = words(midnight)
        if text != current:
            later.append(LaterWording(midnight, text))
            current = text
    return later


def wording_days(moment: datetime, now: datetime, tz: ZoneInfo) -> date:
    """How far ahead a page needs a moment's later wordings: two days past the moment, or past
    today for a moment already gone ("today" becomes "yesterday", then a weekday)."""
    return max(moment.astimezone(tz).date(), now.astimezone(tz).date()) + timedelta(days=2)
