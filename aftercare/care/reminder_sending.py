"""Which due reminders go out now, together, and which wait for the clinic's quiet hours to end.

Pure, no Flask, and the same for every channel: the push sender applies it today, and any
other channel (email) applies the same rules, so a patient gets one message, not three, and
none at night.

- **Quiet hours.** Nothing is sent while the clinic's clock is inside its quiet hours (by
  default 9 PM to 8 AM); a reminder that falls due then waits until they end. The one
  exception is a reminder about an appointment that starts within the next two hours: it goes
  at once, since waiting would make it useless.
- **Together.** A patient's questionnaire and check-in reminders that fall due within the same
  hour go out as one message. When the first of them falls due, it takes with it every other
  one of those the patient has already due, and the questionnaire reminders that fall due less
  than an hour after it. Only questionnaires go early: they may be answered from 12 hours
  before they are due, whereas a check-in prompt is timed from the infusion.
- **Alone.** An appointment or ride-home reminder always goes by itself: it says a day and a
  time, and an action, which a counted message would hide.

Times go in and out as aware UTC datetimes; the clinic's zone places the quiet hours on its
clock, so a daylight-saving change moves nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .quiet_hours import QuietHours
from .reminder_rules import CHECK_IN_KINDS, QUESTIONNAIRE_KIND
from .translation import fill

# A reminder about an appointment this close goes even in quiet hours.
APPOINTMENT_SOON = timedelta(hours=2)
# Reminders that fall due less than this after the first of a patient's go with it.
GROUP_WINDOW = timedelta(hours=1)
# Where a message for several reminders opens: Today lists the check-in and every
# questionnaire that is due.
TOGETHER_URL = "/today"


@dataclass(frozen=True)
class DueReminder:
    """What the rules need of a reminder: whose, what kind, when it is due to go out (its due
    time, or its next retry), and the start of the appointment it is about, if any."""

    id: int
    patient_id: int
    kind: str
    next_attempt_at: datetime
    appointment_at: datetime | None = None


def is_questionnaire(kind: str) -> bool:
    return kind.startswith(QUESTIONNAIRE_KIND)


def goes_together(kind: str) -> bool:
    """Questionnaire and check-in reminders share a message; any other kind goes alone."""
    return is_questionnaire(kind) or kind in CHECK_IN_KINDS


@dataclass(frozen=True)
class Message:
    """One message for one patient: the reminders it carries, in id order."""

    reminder_ids: tuple[int, ...]
    patient_id: int
    # "one" (the reminder's own words), "questionnaires" (only questionnaires, counted) or
    # "several" (questionnaires and check-ins, counted).
    kind: str

    @property
    def count(self) -> int:
        return len(self.reminder_ids)


@dataclass(frozen=True)
class SendingPlan:
    """What goes out now, as messages, and when each of the others may go instead."""

    messages: list[Message]
    later: dict[int, datetime]


def held_until(
    reminder: DueReminder, now: datetime, tz: ZoneInfo, quiet: QuietHours
) -> datetime | None:
    """When a reminder due now may go out instead, because of quiet hours; None: now."""
    if not quiet.hold(now, tz):
        return None
    end = quiet.end_after(now, tz)
    if reminder.appointment_at is None:
        return end
    if reminder.appointment_at - now <= APPOINTMENT_SOON:
        return None
    # It waits for the end of the quiet hours, or until its appointment is two hours away.
    return min(end, reminder.appointment_at - APPOINTMENT_SOON)


def message_kind(kinds: Sequence[str]) -> str:
    """ "one", "questionnaires" (only questionnaires, counted) or "several" (counted)."""
    if len(kinds) == 1:
        return "one"
    return "questionnaires" if all(is_questionnaire(k) for k in kinds) else "several"


def _message(reminders: Sequence[DueReminder], patient_id: int) -> Message:
    ordered = sorted(reminders, key=lambda r: r.id)
    return Message(
        tuple(r.id for r in ordered), patient_id, message_kind([r.kind for r in ordered])
    )


def _plan_for_patient(
    patient_id: int,
    reminders: Sequence[DueReminder],
    now: datetime,
    tz: ZoneInfo,
    quiet: QuietHours,
) -> SendingPlan:
    later: dict[int, datetime] = {}
    going: list[DueReminder] = []
    for reminder in (r for r in reminders if r.next_attempt_at <= now):
        until = held_until(reminder, now, tz, quiet)
        if until is None:
            going.append(reminder)
        else:
            later[reminder.id] = until
    together = [r for r in going if goes_together(r.kind)]
    window_end = min((r.next_attempt_at for r in together), default=now) + GROUP_WINDOW
    for reminder in (r for r in reminders if r.next_attempt_at > now):
        joins = (
            together
            and is_questionnaire(reminder.kind)
            and reminder.next_attempt_at < window_end
            and held_until(reminder, now, tz, quiet) is None
        )
        if joins:
            together.append(reminder)
        else:
            later[reminder.id] = reminder.next_attempt_at  # not its time yet
    messages = [_message([r], patient_id) for r in going if not goes_together(r.kind)]
    if together:
        messages.append(_message(together, patient_id))
    return SendingPlan(messages, later)


def plan_sending(
    reminders: Iterable[DueReminder], now: datetime, tz: ZoneInfo, quiet: QuietHours
) -> SendingPlan:
    """Which of one clinic's reminders go out now, in which messages, and when the others may.

    `reminders` are those due now and, to join them, the patients' questionnaire reminders due
    within the next hour; one not due that joins no message is given back for its own time.
    """
    by_patient: dict[int, list[DueReminder]] = defaultdict(list)
    for reminder in reminders:
        by_patient[reminder.patient_id].append(reminder)
    messages: list[Message] = []
    later: dict[int, datetime] = {}
    for patient_id, theirs in by_patient.items():
        plan = _plan_for_patient(patient_id, theirs, now, tz, quiet)
        messages.extend(plan.messages)
        later.update(plan.later)
    messages.sort(key=lambda m: m.reminder_ids)
    return SendingPlan(messages, later)


def joining_window(
    reminders: Iterable[DueReminder], now: datetime, tz: ZoneInfo, quiet: QuietHours
) -> dict[int, datetime]:
    """Per patient with a questionnaire or check-in reminder going out now, the end of the hour
    in which their questionnaire reminders join it: what a sender fetches to plan with."""
    ends: dict[int, datetime] = {}
    for reminder in reminders:
        if (
            reminder.next_attempt_at <= now
            and goes_together(reminder.kind)
            and held_until(reminder, now, tz, quiet) is None
        ):
            end = reminder.next_attempt_at + GROUP_WINDOW
            ends[reminder.patient_id] = min(end, ends.get(reminder.patient_id, end))
    return ends


@dataclass(frozen=True)
class Words:
    title: str
    body: str
    url: str


def together_words(message: Message, words: Mapping[str, str]) -> Words:
    """What a message for several reminders says, in the patient's language (`words` are the
    clinic's notification words in it). Counted and plain: a lock screen or an inbox preview
    is public, so it names no treatment."""
    count = str(message.count)  # always 2 or more: English and Spanish need one plural form
    if message.kind == "questionnaires":
        return Words(
            words["questionnaire_title"],
            fill(words["questionnaires_body"], "count", count),
            TOGETHER_URL,
        )
    return Words(fill(words["several_title"], "count", count), words["several_body"], TOGETHER_URL)
