"""What an export's address may ask for: a range of days, read strictly, or a clear 400.

`?from=YYYY-MM-DD&to=YYYY-MM-DD`, both optional, whole days in the clinic's time zone. Nothing
else: exports are not paged (each holds every check-in in its range), and a parameter that
would be silently ignored is refused instead, so nobody takes a partial file for a whole one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from werkzeug.datastructures import MultiDict

# No check-in is older than the app, and a date far in the future is a typing slip; the
# bounds also keep the date arithmetic far from the ends of the calendar.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)
PARAMETERS = ("from", "to")
PAGING = ("page", "per_page", "page_size", "size", "limit", "offset", "count", "_count")
# ASCII digits only: date.fromisoformat() also takes 20261127 and 2026-W48-5, which a person
# reading the address would not recognise as the same day.
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BadExportRequest(ValueError):
    """The export's address asks for something it cannot give; the message says what."""


@dataclass(frozen=True)
class DayRange:
    """The days an export covers; None at either end means no limit on that side."""

    first: date | None = None
    last: date | None = None

    def bounds(self, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        """From the start of the first day to the end of the last, in the clinic's zone."""
        start = datetime.combine(self.first, time(0), tzinfo=tz) if self.first else None
        end = (
            datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=tz)
            if self.last
            else None
        )
        return start, end

    def as_detail(self) -> dict[str, str]:
        """The range for the audit trail, as it was asked for."""
        days = {"from": self.first, "to": self.last}
        return {name: day.isoformat() for name, day in days.items() if day is not None}


def _shown(name: str) -> str:
    """A parameter name from the address, short and with anything unprintable escaped."""
    return repr(name[:40])


def _day(args: MultiDict[str, str], name: str) -> date | None:
    values = args.getlist(name)
    if len(values) > 1:
        raise BadExportRequest(f"'{name}' was given {len(values)} times: give it once")
    raw = values[0].strip() if values else ""
    if not raw:
        return None
    try:
        if not _ISO_DAY.fullmatch(raw):
            raise ValueError
        day = date.fromisoformat(raw)
    except ValueError:
        message = f"'{name}' must be a date like 2026-11-27 (year-month-day)"
        raise BadExportRequest(message) from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise BadExportRequest(
            f"'{name}' must be a date from {EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}"
        )
    return day


def day_range(args: MultiDict[str, str]) -> DayRange:
    """The export's days from its query string, or BadExportRequest saying what is wrong."""
    for name in args:
        if name in PAGING:
            raise BadExportRequest(
                f"Exports are not paged: each holds every check-in in its dates. "
                f"Leave out {_shown(name)}; narrow the file with 'from' and 'to' instead."
            )
        if name not in PARAMETERS:
            raise BadExportRequest(
                f"This export does not take {_shown(name)}: only 'from' and 'to', "
                "each a date like 2026-11-27"
            )
    first, last = _day(args, "from"), _day(args, "to")
    if first and last and last < first:
        raise BadExportRequest("'to' must not be before 'from'")
    return DayRange(first, last)
