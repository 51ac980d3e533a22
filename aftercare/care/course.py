"""The treatment course: an initial series of infusions on target dates, then maintenance.

Pure: dates and times in, position out. A patient's infusions, in time order, fill the course's
places one by one: the first infusion recorded is place 1, the sixth place 6 of a series of six,
and any after the series are boosters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

# The source article's typical series: about six infusions over two to three weeks.
DEFAULT_SERIES_COUNT = 6
DEFAULT_SERIES_SPAN_DAYS = 17  # about two and a half weeks: six twice a week, Monday to Thursday
MAX_SERIES_COUNT = 12
MAX_BOOSTER_EVERY_WEEKS = 26


class Maintenance(StrEnum):
    """What follows the initial series."""

    AS_NEEDED = "as_needed"
    EVERY_WEEKS = "every_weeks"


class Decision(StrEnum):
    """A clinician's decision on the review-for-a-booster list."""

    BOOSTER_BOOKED = "booster_booked"
    WATCH = "watch"
    NO_ACTION = "no_action"


DECISION_WORDS = {
    Decision.BOOSTER_BOOKED: "Booster booked",
    Decision.WATCH: "Watch",
    Decision.NO_ACTION: "No action",
}


def spread_dates(first: date, count: int, span_days: int = DEFAULT_SERIES_SPAN_DAYS) -> list[date]:
    """`count` target dates from `first`, spread evenly over `span_days` days (rounded to whole
    days): six from a Monday over 17 days fall on Mondays and Thursdays."""
    if count < 1:
        raise ValueError("A series has at least one infusion.")
    if count == 1:
        return [first]
    return [first + timedelta(days=round(i * span_days / (count - 1))) for i in range(count)]


@dataclass(frozen=True)
class CoursePlan:
    """A course as planned: the series' target dates (one per place) and the maintenance."""

    target_dates: tuple[date, ...]
    maintenance: Maintenance = Maintenance.AS_NEEDED
    booster_every_weeks: int | None = None

    @property
    def series_count(self) -> int:
        return len(self.target_dates)


@dataclass(frozen=True)
class Position:
    """Where a patient is in their course."""

    done: int  # infusions recorded so far
    series_count: int
    next_on: date | None  # the next infusion's date: booked, or the plan's; None if not set
    next_is_booster: bool
    maintenance: Maintenance
    booster_every_weeks: int | None

    @property
    def series_complete(self) -> bool:
        return self.done >= self.series_count

    @property
    def boosters(self) -> int:
        """Infusions after the initial series."""
        return max(0, self.done - self.series_count)


def position(
    plan: CoursePlan, infusion_days: Sequence[date], booked: Sequence[date], today: date
) -> Position:
    """The patient's place in the course on `today`.

    `infusion_days` are the days of the infusions recorded; `booked` the days of infusion or
    booster appointments booked and not cancelled. A booked appointment is the next date; when
    none is booked, the plan's target date for the next place (in the series, if not past), or
    the last infusion plus the maintenance interval.
    """
    done = len(infusion_days)
    ahead = sorted(day for day in booked if day >= today)
    in_series = done < plan.series_count
    next_on: date | None = ahead[0] if ahead else None
    if next_on is None and in_series:
        target = plan.target_dates[done]
        next_on = target if target >= today else None
    elif (
        next_on is None
        and plan.maintenance is Maintenance.EVERY_WEEKS
        and plan.booster_every_weeks
        and infusion_days
    ):
        next_on = max(infusion_days) + timedelta(weeks=plan.booster_every_weeks)
    return Position(
        done=done,
        series_count=plan.series_count,
        next_on=next_on,
        next_is_booster=not in_series,
        maintenance=plan.maintenance,
        booster_every_weeks=plan.booster_every_weeks,
    )


def series_ended_at(series_count: int, infusion_ends: Sequence[datetime]) -> datetime | None:
    """When the initial series ended: the end of its last infusion; None while it goes on."""
    ends = sorted(infusion_ends)
    return ends[series_count - 1] if len(ends) >= series_count else None
