"""The sections of the clinic's settings: one short form each, with a preview of what patients
see. Adding a section, or a link to settings kept on a page of their own, is one entry in
SECTIONS."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..care.content import DEFAULT_CONTENT, clinic_content
from ..models import Clinic
from .settings_content import form_values, laid_over, read, translation_values
from .settings_forms import (
    LIST_KEYS,
    WINDOW_KEYS,
    ClinicForm,
    CrisisForm,
    ListsForm,
    QuestionnairesForm,
    RemindersForm,
    RulesForm,
    SectionForm,
    add_translation_boxes,
)

# A clinic's own details, kept in its columns rather than in its content.
CLINIC_COLUMNS = ("name", "timezone", "phone", "after_hours_phone")


@dataclass(frozen=True)
class Section:
    """A part of the settings with its own form, saved on its own."""

    slug: str
    title: str
    summary: str
    form: type[SectionForm]
    # The preview of what patients see: a template under clinic/settings/, given `patient`
    # (the wording in each language, see settings_preview.py).
    preview: str
    # Form field name -> where the value is kept in the clinic's content.
    fields: Mapping[str, str] = field(default_factory=dict)
    # The fields that are words patients read: each has a box per other language.
    words: tuple[str, ...] = ()

    @property
    def word_paths(self) -> dict[str, str]:
        return {name: self.fields[name] for name in self.words}

    def values(self, clinic: Clinic) -> dict[str, Any]:
        """What the form shows before anything is typed: the settings as they are now."""
        return {
            **form_values(clinic_content(clinic.content), self.fields),
            **translation_values(clinic.content, self.word_paths),
        }

    def read(self, form: SectionForm, name: str) -> Any:
        """A field's value as the clinic's content keeps it."""
        return read(form, name)

    def apply(self, clinic: Clinic, form: SectionForm) -> list[str]:
        """Save this section's values on `clinic` (not committed); the translations dropped."""
        content, dropped = laid_over(
            clinic.content, form, self.fields, self.word_paths, reader=self.read
        )
        # A new dict, so that the JSON column is seen to have changed.
        clinic.content = content
        return dropped


@dataclass(frozen=True)
class ClinicSection(Section):
    """The clinic's name, time zone and phone numbers: columns of the clinic, not content."""

    def values(self, clinic: Clinic) -> dict[str, Any]:
        return {name: getattr(clinic, name) for name in CLINIC_COLUMNS}

    def apply(self, clinic: Clinic, form: SectionForm) -> list[str]:
        for name in CLINIC_COLUMNS:
            setattr(clinic, name, (form[name].data or "").strip())
        return []


@dataclass(frozen=True)
class CrisisSection(Section):
    def read(self, form: SectionForm, name: str) -> Any:
        value = read(form, name)
        if name == "crisis_prompt" and not value:
            return DEFAULT_CONTENT["crisis"]["prompt"]
        return value


@dataclass(frozen=True)
class RemindersSection(Section):
    def read(self, form: SectionForm, name: str) -> Any:
        if name == "appointment_hours":
            return sorted(set(form.reminder_offsets()), reverse=True)  # type: ignore[attr-defined]
        return read(form, name)


@dataclass(frozen=True)
class LinkedPage:
    """Settings kept on a page of their own, listed among the sections."""

    slug: str
    title: str
    summary: str
    endpoint: str


SECTIONS: list[Section | LinkedPage] = [
    ClinicSection(
        "clinic",
        "Clinic and contact",
        "The clinic's name, time zone and phone numbers.",
        ClinicForm,
        "clinic/settings/preview_clinic.html",
    ),
    CrisisSection(
        "crisis",
        "Crisis help",
        "The crisis line, the emergency number and the crisis bar on every patient page.",
        CrisisForm,
        "clinic/settings/preview_clinic.html",
        fields={
            "crisis_line": "crisis.line",
            "crisis_line_name": "crisis.line_name",
            "crisis_options": "crisis.options",
            "crisis_prompt": "crisis.prompt",
            "emergency_number": "crisis.emergency",
            "not_monitored": "not_monitored",
        },
        words=("crisis_prompt", "crisis_line_name", "crisis_options", "not_monitored"),
    ),
    Section(
        "rules",
        "Rules after the infusion",
        "How long each rule lasts after the infusion ends, and how Today words it.",
        RulesForm,
        "clinic/settings/preview_rules.html",
        fields={
            **{f"{key}_hours": f"windows.{key}" for key in WINDOW_KEYS},
            **{f"{key}_text": f"timed.{key}" for key in WINDOW_KEYS},
        },
        words=tuple(f"{key}_text" for key in WINDOW_KEYS),
    ),
    Section(
        "lists",
        "What to expect, and when to call",
        "What is normal, self-care, and when to call the clinic or 911.",
        ListsForm,
        "clinic/settings/preview_lists.html",
        fields={key: key for key in LIST_KEYS},
        words=LIST_KEYS,
    ),
    RemindersSection(
        "reminders",
        "Reminders and quiet hours",
        "When appointment and check-in reminders go out, and the hours when none does.",
        RemindersForm,
        "clinic/settings/preview_reminders.html",
        fields={
            "appointment_hours": "reminders.appointment_hours",
            **{
                key: f"reminders.{key}"
                for key in ("driver_hour", "evening_hour", "morning_hour")
                + ("quiet_start", "quiet_end")
            },
        },
    ),
    Section(
        "questionnaires",
        "Questionnaire timing",
        "How often PCL-5, PHQ-9 and GAD-7 fall due, at what hour, and around a planned course.",
        QuestionnairesForm,
        "clinic/settings/preview_questionnaires.html",
        fields={
            **{
                key: f"questionnaires.{key}"
                for key in (
                    "pcl5_days",
                    "phq9_days",
                    "gad7_days",
                    "days_before_booster",
                    "baseline_days_before",
                    "maintenance_days",
                )
            },
            "questionnaire_hour": "questionnaires.hour",
        },
    ),
    LinkedPage(
        "learn",
        "Learn articles",
        "Edit, hide or add the short articles patients read, in English and Spanish.",
        "clinic.learn_articles",
    ),
    LinkedPage(
        "thresholds",
        "Thresholds where the sources disagree",
        "Which published value classifies your patients' questionnaire changes.",
        "clinic.threshold_settings",
    ),
    LinkedPage(
        "journal",
        "Journal questions",
        "The optional questions patients see in their journal, in English and Spanish.",
        "clinic.journal_prompts",
    ),
]

for _section in SECTIONS:
    if isinstance(_section, Section) and _section.words:
        add_translation_boxes(_section.form, list(_section.words))


def section_named(slug: str) -> Section | None:
    """The section with this slug, if it has a form here."""
    found = next((s for s in SECTIONS if s.slug == slug), None)
    return found if isinstance(found, Section) else None
