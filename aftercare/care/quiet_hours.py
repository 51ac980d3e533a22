"""A clinic's quiet hours: the hours of its clock when no reminder is sent. Pure, no Flask.

Hours are whole hours of the clinic's clock, so a daylight-saving change moves nothing: quiet
hours from 9 PM to 8 AM end at 8 AM on the night the clocks change too, that night being an
hour longer or shorter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def _at(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """`hour` o'clock on the clinic's calendar `day`, in UTC.

    An hour that a daylight-saving change skips is read with the offset before the change
    (fold=0), which gives the moment of the change itself: the clock reaches that hour then.
    """
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)


def _first(days: range, hour: int, moment: datetime, tz: ZoneInfo, fits: Callable) -> datetime:
    """The first of `hour` o'clock on the days around `moment` (in the order given) that fits."""
    day = moment.astimezone(tz).date()
    return next(c for d in days if fits(c := _at(day + timedelta(days=d), hour, tz)))


@dataclass(frozen=True)
class QuietHours:
    """From `start` o'clock to `end` o'clock on the clinic's clock, across midnight when
    `start` is the later. Equal hours mean no quiet hours (the settings form refuses them)."""

    start: int = 21
    end: int = 8

    def __post_init__(self) -> None:
        if not (0 <= self.start <= 23 and 0 <= self.end <= 23):
            raise ValueError("quiet hours start and end at an hour from 0 to 23")

    @property
    def any(self) -> bool:
        return self.start != self.end

    def covers_hour(self, hour: int) -> bool:
        """Whether `hour` o'clock (0-23) to the next hour is inside the quiet hours."""
        if self.start < self.end:
            return self.start <= hour < self.end
        if self.start > self.end:
            return hour >= self.start or hour < self.end
        return False

    def hold(self, moment: datetime, tz: ZoneInfo) -> bool:
        """Whether `moment` falls in quiet hours on the clinic's clock."""
        return self.covers_hour(moment.astimezone(tz).hour)

    def end_after(self, moment: datetime, tz: ZoneInfo) -> datetime:
        """When the quiet hours that `moment` falls in are over."""
        # They last less than a day: their end is today's end hour or tomorrow's.
        return _first(range(3), self.end, moment, tz, lambda c: c > moment)

    def last_end(self, moment: datetime, tz: ZoneInfo) -> datetime | None:
        """The latest moment, at or before `moment`, when quiet hours ended (None if none)."""
        if not self.any:
            return None
        return _first(range(0, -3, -1), self.end, moment, tz, lambda c: c <= moment)

    def next_start(self, moment: datetime, tz: ZoneInfo) -> datetime | None:
        """The first moment, at or after `moment`, when quiet hours begin (None if none)."""
        if not self.any:
            return None
        return _first(range(3), self.start, moment, tz, lambda c: c >= moment)

    def describe(self) -> str:
        """'21:00 to 08:00', for the clinic's pages."""
        return f"{self.start:02d}:00 to {self.end:02d}:00"
