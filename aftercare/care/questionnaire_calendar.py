"""When each questionnaire is due across the infusion course: pure, no Flask.

Regular questionnaires fall on the clinic's calendar, counted in days from the end of the first
infusion and placed at a fixed hour of the clinic's clock (so a daylight-saving change moves
nothing); some are also due shortly before each booster. Each occurrence stays open until the
next one: answered in that window it is done, otherwise it was missed.

With a treatment course planned (care/course.py) the calendar follows it: a baseline in the
days before the first infusion (open until it begins), the regular ones during the initial
series, every questionnaire the day after the series ends, then the maintenance interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A response a little before the due time still counts (the patient opened it early).
EARLY_GRACE = timedelta(hours=12)


@dataclass(frozen=True)
class QuestionnaireSchedule:
    every_days: Mapping[str, int] = field(
        default_factory=lambda: {"pcl5": 7, "phq9": 14, "gad7": 14}
    )
    before_booster: tuple[str, ...] = ("phq9", "gad7")
    days_before_booster: int = 2
    hour: int = 10
    # With a course planned: the baseline opens this many days before the first infusion
    # (0: no baseline), and after the series each questionnaire comes every maintenance_days
    # (0: at its own interval, as during the series).
    baseline_days_before: int = 3
    maintenance_days: int = 14

    @classmethod
    def from_content(cls, content: Mapping[str, int]) -> QuestionnaireSchedule:
        """From a clinic's "questionnaires" settings (see care/content.py); 0 days: not asked."""
        every = {
            instrument: content[f"{instrument}_days"]
            for instrument in ("pcl5", "phq9", "gad7")
            if content[f"{instrument}_days"] > 0
        }
        boosters = tuple(
            i for i in ("phq9", "gad7") if content["days_before_booster"] and i in every
        )
        return cls(
            every,
            boosters,
            content["days_before_booster"],
            content["hour"],
            content.get("baseline_days_before", cls.baseline_days_before),
            content.get("maintenance_days", cls.maintenance_days),
        )


@dataclass(frozen=True)
class Occurrence:
    instrument_id: str
    due_at: datetime
    closes_at: datetime
    reason: str  # "regular", "booster", "baseline", "end_of_series" or "maintenance"

    def answered_by(self, responses: Sequence[datetime]) -> bool:
        return any(self.due_at - EARLY_GRACE <= at < self.closes_at for at in responses)


def _at_hour(day: datetime, days_later: int, hour: int, tz: ZoneInfo) -> datetime:
    date = day.astimezone(tz).date() + timedelta(days=days_later)
    return datetime.combine(date, time(hour), tzinfo=tz).astimezone(UTC)


def occurrences(
    schedule: QuestionnaireSchedule,
    course_start: datetime | None,
    boosters: Sequence[datetime],
    until: datetime,
    tz: ZoneInfo,
    *,
    baseline_before: datetime | None = None,
    series_end: datetime | None = None,
) -> list[Occurrence]:
    """Every occurrence from the course's start up to `until`, in time order.

    The first regular one is the day after the first infusion. With a course planned, a
    baseline is open from a few days before `baseline_before` (the first infusion's start, or
    the end of its planned day) until then; once the series has ended (`series_end`, the end of
    its last infusion) the regular ones give way to one the day after, then to maintenance.
    """
    found: list[Occurrence] = []
    if baseline_before is not None and schedule.baseline_days_before:
        due = _at_hour(baseline_before, -schedule.baseline_days_before, schedule.hour, tz)
        if due < baseline_before and due <= until:
            for instrument_id in schedule.every_days:
                found.append(Occurrence(instrument_id, due, baseline_before, "baseline"))
    end_due = None if series_end is None else _at_hour(series_end, 1, schedule.hour, tz)
    for instrument_id, every in schedule.every_days.items():
        if course_start is not None:
            found += _regular(schedule, instrument_id, every, course_start, until, tz, end_due)
        if end_due is not None and series_end is not None:
            interval = schedule.maintenance_days or every
            day, reason = 1, "end_of_series"
            due = end_due
            while due <= until:
                following = _at_hour(series_end, day + interval, schedule.hour, tz)
                found.append(Occurrence(instrument_id, due, following, reason))
                day, due, reason = day + interval, following, "maintenance"
    for booster in boosters:
        due = _at_hour(booster, -schedule.days_before_booster, schedule.hour, tz)
        if due <= until:
            for instrument_id in schedule.before_booster:
                found.append(Occurrence(instrument_id, due, booster, "booster"))
    return sorted(found, key=lambda o: (o.due_at, o.instrument_id))


def _regular(
    schedule: QuestionnaireSchedule,
    instrument_id: str,
    every: int,
    course_start: datetime,
    until: datetime,
    tz: ZoneInfo,
    end_due: datetime | None,
) -> list[Occurrence]:
    """The regular occurrences of one questionnaire, until the end-of-series one takes over."""
    found = []
    day = 1
    due = _at_hour(course_start, day, schedule.hour, tz)
    while due <= until and (end_due is None or due < end_due):
        following = _at_hour(course_start, day + every, schedule.hour, tz)
        closes = following if end_due is None else min(following, end_due)
        found.append(Occurrence(instrument_id, due, closes, "regular"))
        day += every
        due = following
    return found


@dataclass(frozen=True)
class Course:
    """One patient's questionnaire course: what its occurrences are counted from, and how."""

    schedule: QuestionnaireSchedule
    tz: ZoneInfo  # the clinic's
    start: datetime | None  # the end of the first infusion; no regular ones before it
    boosters: tuple[datetime, ...] = ()  # the start of each booster booked and not cancelled
    # With a treatment course planned: when the baseline closes (the first infusion's start,
    # or the end of its planned day), and the end of the initial series once it has ended.
    baseline_before: datetime | None = None
    series_end: datetime | None = None

    def occurrences(self, until: datetime) -> list[Occurrence]:
        """Every occurrence from the course's start up to `until`, in time order."""
        if self.start is None and self.baseline_before is None:
            return []
        return occurrences(
            self.schedule,
            self.start,
            self.boosters,
            until,
            self.tz,
            baseline_before=self.baseline_before,
            series_end=self.series_end,
        )


def due_now(
    found: Sequence[Occurrence], responses: Mapping[str, Sequence[datetime]], now: datetime
) -> list[Occurrence]:
    """Occurrences open now and not answered: what the Today page offers."""
    open_now = [
        o
        for o in found
        if o.due_at - EARLY_GRACE <= now < o.closes_at
        and not o.answered_by(responses.get(o.instrument_id, ()))
    ]
    # One entry per instrument, even if a regular and a booster occurrence overlap.
    seen: dict[str, Occurrence] = {}
    for occurrence in open_now:
        seen.setdefault(occurrence.instrument_id, occurrence)
    return list(seen.values())


def missed(
    found: Sequence[Occurrence], responses: Mapping[str, Sequence[datetime]], now: datetime
) -> list[Occurrence]:
    """Occurrences whose window closed without an answer."""
    return [
        o
        for o in found
        if o.closes_at <= now and not o.answered_by(responses.get(o.instrument_id, ()))
    ]
