"""What patients see with a section's settings, in each language, made by the patient side's
own wording and time functions (and its crisis bar template), never by a copy of them."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import render_template
from flask_babel import force_locale
from markupsafe import Markup

from ..care.human_time import human_time
from ..care.instructions import timed_instructions
from ..care.quiet_hours import QuietHours
from ..care.reminder_rules import (
    ReminderSettings,
    about_appointment,
    appointment_plan,
    infusion_prompts,
)
from ..care.reminder_sending import DueReminder, held_until
from ..care.translation import fill
from ..i18n import LANGUAGES, content_for, translator
from ..models import Clinic, utcnow
from .settings_forms import SectionForm
from .settings_sections import Section

# How long ago the example infusion ended: Today as a patient reads it just after going home.
EXAMPLE_ENDED_AGO = timedelta(minutes=30)
# The example infusion the reminders are shown for: in three days, at 9 AM clinic time.
EXAMPLE_DAYS_AHEAD = 3
EXAMPLE_START = time(9)
EXAMPLE_LENGTH = timedelta(hours=2)


@dataclass
class PreviewClinic:
    """A clinic's details and content as they would be once saved, for the preview only."""

    name: str
    timezone: str
    phone: str
    after_hours_phone: str
    content: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, clinic: Clinic) -> PreviewClinic:
        return cls(
            clinic.name,
            clinic.timezone,
            clinic.phone or "",
            clinic.after_hours_phone or "",
            copy.deepcopy(clinic.content or {}),
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Notification:
    """A reminder as it reaches the phone, and when (in words, for the clinic)."""

    when: str
    title: str
    body: str


def _reminders(clinic: PreviewClinic, content: dict[str, Any], language: str, now: datetime):  # noqa: ANN202
    """The reminders of the example infusion, as the reminder planner words them."""
    tz, translate = clinic.tz, translator(language)
    settings = ReminderSettings.from_content(content["reminders"])
    day = now.astimezone(tz).date() + timedelta(days=EXAMPLE_DAYS_AHEAD)
    starts = datetime.combine(day, EXAMPLE_START, tzinfo=tz)
    words = content["notifications"]
    planned = appointment_plan("infusion", starts, tz, settings, words, now, language, translate)
    planned += infusion_prompts(starts + EXAMPLE_LENGTH, tz, settings, words, now)
    shown = []
    for plan in sorted(planned, key=lambda p: p.due_at):
        # When the sender would let it go: later, if it falls due in quiet hours.
        due = DueReminder(
            0, 0, plan.kind, plan.due_at, starts if about_appointment(plan.kind) else None
        )
        sent = held_until(due, plan.due_at, tz, settings.quiet_hours) or plan.due_at
        shown.append(Notification(human_time(sent, now, tz), plan.title, plan.body))
    return starts, shown


def _questionnaires(content: dict[str, Any]) -> dict[str, Any]:
    words = content["notifications"]
    return {
        "schedule": content["questionnaires"],
        "one": Notification("", words["questionnaire_title"], words["questionnaire_body"]),
        "several": Notification(
            "", words["questionnaire_title"], fill(words["questionnaires_body"], "count", "3")
        ),
    }


def _opened_crisis_bar(clinic: PreviewClinic, content: dict[str, Any]) -> Markup:
    """The crisis bar of every patient page, its "more help" part open."""
    bar = render_template("_crisis_bar.html", clinic=clinic, content=content)
    closed = '<details class="crisis__more">'
    # The bar's own template escaped what it shows; only the state of its <details> changes.
    return Markup(bar.replace(closed, '<details class="crisis__more" open>', 1))  # noqa: S704


def candidate(section: Section, clinic: Clinic, form: SectionForm | None) -> PreviewClinic:
    """The clinic as it would be with the form's values (or as saved, without a form)."""
    stand_in = PreviewClinic.of(clinic)
    if form is not None:
        section.apply(stand_in, form)  # type: ignore[arg-type]
    return stand_in


def patient_views(section: Section, clinic: PreviewClinic) -> list[tuple[str, str, Markup]]:
    """(language, its name, what a patient reading it sees) for each language."""
    now = utcnow()
    views = []
    for language, name in LANGUAGES.items():
        with force_locale(language):
            content = content_for(clinic, language)  # type: ignore[arg-type]
            extra: dict[str, Any] = {}
            if section.slug == "rules":
                extra["timed"] = timed_instructions(
                    now - EXAMPLE_ENDED_AGO,
                    now,
                    clinic.tz,
                    content["windows"],
                    content["timed"],
                    language,
                    translator(language),
                )
                extra["now"] = now
            elif section.slug == "reminders":
                extra["starts"], extra["notifications"] = _reminders(clinic, content, language, now)
                extra["quiet"] = QuietHours(
                    content["reminders"]["quiet_start"], content["reminders"]["quiet_end"]
                )
            elif section.slug in ("clinic", "crisis"):
                extra["crisis_bar"] = _opened_crisis_bar(clinic, content)
            elif section.slug == "questionnaires":
                extra.update(_questionnaires(content))
            html = render_template(
                section.preview, clinic=clinic, content=content, language=language, **extra
            )
        views.append((language, name, Markup(html)))  # noqa: S704 (a rendered template)
    return views
