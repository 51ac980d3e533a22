"""Turning a clinic's content into the settings form and back, keeping only real changes."""

from __future__ import annotations

from typing import Any

from ..care.content import DEFAULT_CONTENT, clinic_content, kept_in_base_language
from ..models import Clinic
from .forms import LIST_KEYS, OTHER_LANGUAGES, WINDOW_KEYS, WORD_FIELDS, SettingsForm


def _get(tree: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[last] = value


def form_data(clinic: Clinic) -> dict[str, Any]:
    """The values the settings form starts with."""
    content = clinic_content(clinic.content)
    data: dict[str, Any] = {
        "name": clinic.name,
        "timezone": clinic.timezone,
        "phone": clinic.phone,
        "after_hours_phone": clinic.after_hours_phone,
        "crisis_line": content["crisis"]["line"],
        "crisis_line_name": content["crisis"]["line_name"],
        "crisis_options": content["crisis"]["options"],
        "crisis_prompt": content["crisis"]["prompt"],
        "emergency_number": content["crisis"]["emergency"],
        "not_monitored": content["not_monitored"],
    }
    for key in WINDOW_KEYS:
        data[f"{key}_hours"] = content["windows"][key]
        data[f"{key}_text"] = content["timed"][key]
    for key in LIST_KEYS:
        data[key] = "\n".join(content[key])
    questionnaires = content["questionnaires"]
    for key in (
        "pcl5_days",
        "phq9_days",
        "gad7_days",
        "days_before_booster",
        "baseline_days_before",
        "maintenance_days",
    ):
        data[key] = questionnaires[key]
    data["questionnaire_hour"] = questionnaires["hour"]
    reminders = content["reminders"]
    data["appointment_hours"] = ", ".join(str(h) for h in reminders["appointment_hours"])
    for key in ("driver_hour", "evening_hour", "morning_hour", "quiet_start", "quiet_end"):
        data[key] = reminders[key]
    # Other languages: only the clinic's own wording; an empty box means "not written".
    for language in OTHER_LANGUAGES:
        words = (clinic.content or {}).get("translations", {}).get(language, {})
        for name, path in WORD_FIELDS.items():
            value = _get(words, path)
            data[f"{language}_{name}"] = "\n".join(value) if isinstance(value, list) else value
    return data


def english_shown(clinic: Clinic) -> dict[str, set[str]]:
    """Per language, the wording boxes whose patients see the clinic's English for now."""
    paths = {path: name for name, path in WORD_FIELDS.items()}
    return {
        language: {paths[p] for p in kept_in_base_language(clinic.content, language) if p in paths}
        for language in OTHER_LANGUAGES
    }


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def overrides_from(
    form: SettingsForm, previous: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The clinic's content overrides: only what differs from the defaults.

    Keeping differences (not a full copy) lets a clinic benefit when a default is improved.
    Reason wording set elsewhere is carried over untouched.

    Wording in another language is kept as the clinic wrote it. When a clinic changes its
    English and leaves the other language's box as it was, that translation no longer says
    what the English says: it is dropped (and named in the second value returned), so those
    patients see the new English until the clinic writes the translation, never old advice.
    """
    wanted: dict[str, Any] = {
        "windows": {key: form[f"{key}_hours"].data for key in WINDOW_KEYS},
        "timed": {key: form[f"{key}_text"].data.strip() for key in WINDOW_KEYS},
        "crisis": {
            "line": form.crisis_line.data.strip(),
            "line_name": form.crisis_line_name.data.strip(),
            "options": (form.crisis_options.data or "").strip(),
            "prompt": (form.crisis_prompt.data or "").strip()
            or DEFAULT_CONTENT["crisis"]["prompt"],
            "emergency": form.emergency_number.data.strip(),
        },
        "not_monitored": form.not_monitored.data.strip(),
        "questionnaires": {
            "pcl5_days": form.pcl5_days.data,
            "phq9_days": form.phq9_days.data,
            "gad7_days": form.gad7_days.data,
            "days_before_booster": form.days_before_booster.data,
            "hour": form.questionnaire_hour.data,
            "baseline_days_before": form.baseline_days_before.data,
            "maintenance_days": form.maintenance_days.data,
        },
        "reminders": {
            "appointment_hours": sorted(set(form.reminder_offsets()), reverse=True),
            "driver_hour": form.driver_hour.data,
            "evening_hour": form.evening_hour.data,
            "morning_hour": form.morning_hour.data,
            "quiet_start": form.quiet_start.data,
            "quiet_end": form.quiet_end.data,
        },
    }
    for key in LIST_KEYS:
        wanted[key] = _lines(form[key].data)
    overrides: dict[str, Any] = {}
    for key, value in wanted.items():
        default = DEFAULT_CONTENT[key]
        if isinstance(value, dict):
            changed = {k: v for k, v in value.items() if default[k] != v}
            if changed:
                overrides[key] = changed
        elif value != default:
            overrides[key] = value
    # Learn articles are edited on their own page (clinic/learn_page.py).
    for key in ("reasons", "levels", "notifications", "learn"):
        if key in previous:
            overrides[key] = previous[key]
    before, after = clinic_content(previous), clinic_content(overrides)
    translations: dict[str, Any] = {}
    dropped = []
    for language in OTHER_LANGUAGES:
        kept = previous.get("translations", {}).get(language, {})
        # Wording that is not on the form is carried over as it was.
        words = {key: kept[key] for key in ("reasons", "levels", "notifications") if key in kept}
        for name, path in WORD_FIELDS.items():
            raw = form[f"{language}_{name}"].data or ""
            value: Any = _lines(raw) if name in LIST_KEYS else raw.strip()
            if not value:
                continue
            if _get(before, path) != _get(after, path) and value == _get(kept, path):
                dropped.append(f"{form[f'{language}_{name}'].label.text}")
                continue
            _set(words, path, value)
        if words:
            translations[language] = words
    if translations:
        overrides["translations"] = translations
    # Checked against the defaults' shape before it is saved.
    clinic_content(overrides)
    return overrides, dropped
