"""Which push reminders an appointment, an infusion or a questionnaire course gets, and when:
pure, no Flask. reminders/rows.py writes them as rows.

Times go in and out as aware UTC datetimes; the clinic's zone is used only to place clock
times (7 PM the evening of the infusion) and to word the message ("tomorrow at 3 PM", worded
by care/human_time.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .human_time import human_time
from .questionnaire_calendar import Course
from .quiet_hours import QuietHours
from .translation import N_, Translate, fill, untranslated

APPOINTMENT_KINDS: dict[str, str] = {
    "follow_up": N_("Follow-up visit"),
    "infusion": N_("Infusion"),
    "booster": N_("Booster infusion"),
    "integration": N_("Integration therapy session"),
}
# Kinds after which the patient may not drive, and so needs a ride home arranged.
SEDATING_KINDS = frozenset({"infusion", "booster"})

# An evening check-in prompt comes at least this long after the infusion ends...
EVENING_AFTER_END = timedelta(hours=2)
# ...and not at all if that would be this late at night (the morning prompt will ask).
LATEST_EVENING = time(22, 0)
# A morning prompt nobody received by midday is no longer "this morning".
MORNING_USEFUL_FOR = timedelta(hours=5)
# Questionnaire reminders are kinds of their own, one per instrument: questionnaire_pcl5, ...
QUESTIONNAIRE_KIND = "questionnaire_"
# Check-in prompts after an infusion.
CHECK_IN_KINDS = frozenset({"checkin_evening", "checkin_morning"})
# Reminders about an appointment: before_24h, before_2h, ... and the ride home.
APPOINTMENT_KIND = "before_"
RIDE_HOME_KIND = "arrange_driver"
# How far ahead questionnaire reminders are planned. They are planned again whenever the course
# changes (an infusion recorded, a booster booked, changed or cancelled).
QUESTIONNAIRE_PLAN_AHEAD = timedelta(weeks=8)


@dataclass(frozen=True)
class ReminderSettings:
    """A clinic's reminder times (see "reminders" in care/content.py)."""

    appointment_hours: tuple[int, ...] = (24, 2)
    driver_hour: int = 10
    evening_hour: int = 19
    morning_hour: int = 9
    quiet_start: int = 21
    quiet_end: int = 8

    @property
    def quiet_hours(self) -> QuietHours:
        return QuietHours(self.quiet_start, self.quiet_end)

    @classmethod
    def from_content(cls, content: Mapping[str, object]) -> ReminderSettings:
        values = dict(content)
        values["appointment_hours"] = tuple(values["appointment_hours"])  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class PlannedReminder:
    kind: str
    due_at: datetime
    expires_at: datetime
    title: str
    body: str
    url: str
    urgency: str


def about_appointment(kind: str) -> bool:
    """Whether a reminder of this kind is about an appointment. Such a reminder expires when
    its appointment starts (see appointment_plan), so its expiry is the appointment's time."""
    return kind.startswith(APPOINTMENT_KIND) or kind == RIDE_HOME_KIND


def describe_when(
    moment: datetime,
    reference: datetime,
    tz: ZoneInfo,
    locale: str = "en",
    translate: Translate = untranslated,
) -> str:
    """'today at 3 PM', 'tomorrow at 9:30 AM' or 'Saturday at 3 PM', as read at `reference`."""
    return human_time(moment, reference, tz, locale, translate)


def _local(day: datetime, hour: int, tz: ZoneInfo, days_later: int = 0) -> datetime:
    """The given hour on the clinic's calendar day of `day` (plus days), in UTC."""
    date = day.astimezone(tz).date() + timedelta(days=days_later)
    return datetime.combine(date, time(hour), tzinfo=tz).astimezone(UTC)


def appointment_plan(
    kind: str,
    starts_at: datetime,
    tz: ZoneInfo,
    settings: ReminderSettings,
    words: Mapping[str, str],
    now: datetime,
    locale: str = "en",
    translate: Translate = untranslated,
) -> list[PlannedReminder]:
    """Reminders before an appointment: at each offset, and a ride-home reminder for infusions.

    Reminders whose time has already passed when the appointment is booked are left out: the
    clinician who books an appointment for this afternoon tells the patient in person. Every
    reminder expires when the appointment starts; after that it would only confuse.
    """
    if kind not in APPOINTMENT_KINDS:
        raise ValueError(f"unknown appointment kind {kind!r}")
    plans = []
    for hours in sorted(set(settings.appointment_hours), reverse=True):
        due = starts_at - timedelta(hours=hours)
        plans.append(
            PlannedReminder(
                kind=f"{APPOINTMENT_KIND}{hours}h",
                due_at=due,
                expires_at=starts_at,
                title=words["appointment_title"],
                body=fill(
                    words["appointment_body"],
                    "when",
                    describe_when(starts_at, due, tz, locale, translate),
                ),
                url="/today",
                urgency="high" if hours <= 3 else "normal",
            )
        )
    if kind in SEDATING_KINDS:
        due = _local(starts_at, settings.driver_hour, tz, days_later=-1)
        plans.append(
            PlannedReminder(
                kind=RIDE_HOME_KIND,
                due_at=due,
                expires_at=starts_at,
                title=words["driver_title"],
                body=fill(
                    words["driver_body"],
                    "when",
                    describe_when(starts_at, due, tz, locale, translate),
                ),
                url="/today",
                urgency="normal",
            )
        )
    return sorted((p for p in plans if p.due_at > now), key=lambda p: p.due_at)


def infusion_prompts(
    ended_at: datetime,
    tz: ZoneInfo,
    settings: ReminderSettings,
    words: Mapping[str, str],
    now: datetime,
) -> list[PlannedReminder]:
    """Check-in prompts after an infusion: that evening, and the next morning.

    The evening prompt comes only before the clinic's quiet hours: one that would wait for
    them to end would arrive an hour before the morning prompt, asking about an evening that
    is over. For the same reason it expires when they begin.
    """
    morning = _local(ended_at, settings.morning_hour, tz, days_later=1)
    evening = max(_local(ended_at, settings.evening_hour, tz), ended_at + EVENING_AFTER_END)
    plans = [
        PlannedReminder(
            kind="checkin_morning",
            due_at=morning,
            expires_at=morning + MORNING_USEFUL_FOR,
            title=words["morning_title"],
            body=words["morning_body"],
            url="/check-in?morning=1",
            urgency="normal",
        )
    ]
    quiet = settings.quiet_hours
    local_evening = evening.astimezone(tz)
    if (
        local_evening.date() == ended_at.astimezone(tz).date()
        and local_evening.time() <= LATEST_EVENING
        and not quiet.hold(evening, tz)
    ):
        plans.insert(
            0,
            PlannedReminder(
                kind="checkin_evening",
                due_at=evening,
                # A late evening prompt is still useful until the morning one replaces it, or
                # until quiet hours begin, after which it could only come in the morning.
                expires_at=min(morning, quiet.next_start(evening, tz) or morning),
                title=words["evening_title"],
                body=words["evening_body"],
                url="/check-in",
                urgency="normal",
            ),
        )
    return [p for p in plans if p.due_at > now]


def questionnaire_prompts(
    course: Course, words: Mapping[str, str], now: datetime
) -> list[PlannedReminder]:
    """One reminder per questionnaire occurrence still ahead, up to eight weeks from `now`.

    A booster occurrence inside an open regular one of the same questionnaire is one
    questionnaire to answer, so it gets one reminder. Each expires when its occurrence closes.
    """
    found = course.occurrences(now + QUESTIONNAIRE_PLAN_AHEAD)
    plans: list[PlannedReminder] = []
    planned: set[tuple[str, datetime]] = set()
    for occurrence in found:
        if occurrence.due_at <= now:
            continue
        inside_regular = any(
            o.instrument_id == occurrence.instrument_id
            and o.reason == "regular"
            and o.due_at <= occurrence.due_at < o.closes_at
            for o in found
        )
        key = (occurrence.instrument_id, occurrence.due_at)
        if key in planned or (occurrence.reason == "booster" and inside_regular):
            continue
        planned.add(key)
        plans.append(
            PlannedReminder(
                kind=f"{QUESTIONNAIRE_KIND}{occurrence.instrument_id}",
                due_at=occurrence.due_at,
                expires_at=occurrence.closes_at,
                title=words["questionnaire_title"],
                body=words["questionnaire_body"],
                url=f"/questionnaires/{occurrence.instrument_id}",
                urgency="normal",
            )
        )
    return plans
