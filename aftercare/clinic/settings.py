"""Turning a clinic's content into the settings form and back, keeping only real changes."""

from __future__ import annotations

from typing import Any

from ..care.content import DEFAULT_CONTENT, clinic_content
from ..models import Clinic
from .forms import LIST_KEYS, WINDOW_KEYS, SettingsForm


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
        "emergency_number": content["crisis"]["emergency"],
        "not_monitored": content["not_monitored"],
    }
    for key in WINDOW_KEYS:
        data[f"{key}_hours"] = content["windows"][key]
        data[f"{key}_text"] = content["timed"][key]
    for key in LIST_KEYS:
        data[key] = "\n".join(content[key])
    questionnaires = content["questionnaires"]
    for key in ("pcl5_days", "phq9_days", "gad7_days", "days_before_booster"):
        data[key] = questionnaires[key]
    data["questionnaire_hour"] = questionnaires["hour"]
    reminders = content["reminders"]
    data["appointment_hours"] = ", ".join(str(h) for h in reminders["appointment_hours"])
    for key in ("driver_hour", "evening_hour", "morning_hour"):
        data[key] = reminders[key]
    return data


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def overrides_from(form: SettingsForm, previous: dict[str, Any]) -> dict[str, Any]:
    """The clinic's content overrides: only what differs from the defaults.

    Keeping differences (not a full copy) lets a clinic benefit when a default is improved.
    Reason wording set elsewhere is carried over untouched.
    """
    wanted: dict[str, Any] = {
        "windows": {key: form[f"{key}_hours"].data for key in WINDOW_KEYS},
        "timed": {key: form[f"{key}_text"].data.strip() for key in WINDOW_KEYS},
        "crisis": {
            "line": form.crisis_line.data.strip(),
            "line_name": form.crisis_line_name.data.strip(),
            "options": (form.crisis_options.data or "").strip(),
            "emergency": form.emergency_number.data.strip(),
        },
        "not_monitored": form.not_monitored.data.strip(),
        "questionnaires": {
            "pcl5_days": form.pcl5_days.data,
            "phq9_days": form.phq9_days.data,
            "gad7_days": form.gad7_days.data,
            "days_before_booster": form.days_before_booster.data,
            "hour": form.questionnaire_hour.data,
        },
        "reminders": {
            "appointment_hours": sorted(set(form.reminder_offsets()), reverse=True),
            "driver_hour": form.driver_hour.data,
            "evening_hour": form.evening_hour.data,
            "morning_hour": form.morning_hour.data,
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
    for key in ("reasons", "levels", "notifications"):
        if key in previous:
            overrides[key] = previous[key]
    # Checked against the defaults' shape before it is saved.
    clinic_content(overrides)
    return overrides
