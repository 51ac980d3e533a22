"""The words and time windows patients see, with each clinic's own changes over the defaults.

Defaults follow the project's clinical content (discharge instructions, side effects, red flags,
crisis resources), written plainly for someone who is drowsy or dizzy.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

# Hours after the end of the infusion that each instruction lasts.
DEFAULT_WINDOWS: dict[str, int] = {
    "driving": 24,
    "decisions": 24,
    "alcohol": 24,
    "sedatives": 4,
    "companion": 12,
}

DEFAULT_CONTENT: dict[str, Any] = {
    "windows": DEFAULT_WINDOWS,
    # {until} becomes a weekday and time, e.g. "Saturday 3:40 PM".
    "timed": {
        "driving": "Do not drive, ride a bike or use machinery until {until}, "
        "and only after a night's sleep.",
        "decisions": "No big decisions about money, the law or work until {until}.",
        "alcohol": "No alcohol or cannabis until {until}.",
        "sedatives": "No opioid pain pills, sleeping pills or anxiety pills (benzodiazepines) "
        "until {until}, unless the clinic told you otherwise.",
        "companion": "Someone should stay with you until {until}.",
    },
    "normal": [
        "Feeling detached, floaty or unreal.",
        "Dizziness. Sit or lie down, and stand up slowly.",
        "Feeling sick to your stomach.",
        "Feeling sleepy or tired for the rest of the day.",
        "A headache.",
        "Blurred or double vision for an hour or two.",
        "Feeling anxious.",
        "These usually pass within a few hours.",
    ],
    "self_care": [
        "Rest for the rest of the day.",
        "Drink water. Eat something light once any sickness passes.",
        "Keep your next appointments, including therapy sessions.",
    ],
    "call_clinic": [
        "A new rash or itching.",
        "Vomiting so much you cannot keep fluids down.",
        "Feeling detached, confused or seeing things that are not there the next day.",
        "Your mood is lower than before the infusion.",
        "Pain or blood when you pee.",
        "Blood pressure much higher than your usual.",
    ],
    "call_911": [
        "Trouble breathing.",
        "Your throat feels like it is closing, or it is hard to swallow.",
        "Swelling of your face or lips.",
        "Chest pain.",
        "Fainting, or you are very hard to wake.",
    ],
    "crisis": {
        "line": "988",
        "line_name": "988 Suicide & Crisis Lifeline",
        "options": "Press 1 for veterans. Press 2 for Spanish.",
        "emergency": "911",
    },
    "not_monitored": "This app is not watched around the clock. "
    "In an emergency call 911. If you are in crisis, call or text 988.",
    "levels": {
        "emergency": {
            "title": "Call 911 now",
            "body": "What you told us can be an emergency. Call 911 now, or have someone "
            "call for you. Do not drive yourself.",
        },
        "crisis": {
            "title": "Call or text 988 now",
            "body": "You do not have to face this alone. Call or text 988 to talk to someone "
            "right now. If you are in danger, call 911. Your care team will be told.",
        },
        "call_clinic": {
            "title": "Call the clinic",
            "body": "This is not an emergency, but your care team needs to know. "
            "Call the clinic now. Your care team will also see your check-in.",
        },
        "expected": {
            "title": "Rest. This is expected.",
            "body": "What you told us is common after an infusion and usually passes within "
            "a few hours. Rest, drink water, and check in again if anything changes.",
        },
    },
    # Patient wording for a triage reason, by rule code, over the rule's own advice.
    "reasons": {},
    # When reminders go out. Appointment reminders: hours before it starts. Infusions also
    # get a message the day before (at driver_hour) to arrange a ride home, and check-in
    # prompts the evening of the infusion and the next morning (hours of the clinic's clock).
    "reminders": {
        "appointment_hours": [24, 2],
        "driver_hour": 10,
        "evening_hour": 19,
        "morning_hour": 9,
    },
    # Questionnaires: every how many days each is due (0: not scheduled), at what hour of the
    # clinic's clock, and how many days before a booster PHQ-9 and GAD-7 are due again.
    "questionnaires": {
        "pcl5_days": 7,
        "phq9_days": 14,
        "gad7_days": 14,
        "days_before_booster": 2,
        "hour": 10,
    },
    # What a notification says. A lock screen is public: no treatment, no clinical details.
    # {when} becomes e.g. "tomorrow at 3:00 PM".
    "notifications": {
        "appointment_title": "Appointment reminder",
        "appointment_body": "You have an appointment {when}.",
        "driver_title": "Plan your ride home",
        "driver_body": "Your appointment is {when}. Arrange for someone to take you home "
        "afterwards.",
        "evening_title": "How are you feeling?",
        "evening_body": "Tap to check in with your care team.",
        "morning_title": "Good morning",
        "morning_body": "How did you sleep? Tap to check in.",
    },
}

# Whole-number settings that are not hours after an infusion (0-168), with their ranges.
INT_RANGES: dict[str, tuple[int, int]] = {
    "reminders.appointment_hours": (1, 336),
    "reminders.driver_hour": (0, 23),
    "reminders.evening_hour": (0, 23),
    "reminders.morning_hour": (0, 23),
    "questionnaires.pcl5_days": (0, 90),
    "questionnaires.phq9_days": (0, 90),
    "questionnaires.gad7_days": (0, 90),
    "questionnaires.days_before_booster": (0, 14),
    "questionnaires.hour": (0, 23),
}


class ContentError(ValueError):
    """A clinic's content does not have the shape the defaults have."""


def _whole_number(value: Any, path: str) -> int:
    low, high = INT_RANGES.get(path, (0, 168))
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        unit = " of hours" if path not in INT_RANGES else ""
        raise ContentError(f"{path} must be a whole number{unit} from {low} to {high}")
    return value


def _merge(default: Any, override: Any, path: str) -> Any:
    if isinstance(default, dict):
        if not isinstance(override, Mapping):
            raise ContentError(f"{path or 'content'} must be a set of named values")
        merged = copy.deepcopy(default)
        for key, value in override.items():
            if key not in default:
                if default:  # an open mapping such as "reasons" takes any text by key
                    raise ContentError(f"{path}.{key} is not a setting".lstrip("."))
                if not isinstance(value, str):
                    raise ContentError(f"{path}.{key} must be text".lstrip("."))
                merged[key] = value
            else:
                merged[key] = _merge(default[key], value, f"{path}.{key}".lstrip("."))
        return merged
    if isinstance(default, list):
        if default and isinstance(default[0], int):
            if not isinstance(override, list) or not override:
                raise ContentError(f"{path} must be a list of whole numbers")
            return [_whole_number(value, path) for value in override]
        if not isinstance(override, list) or not all(isinstance(v, str) for v in override):
            raise ContentError(f"{path} must be a list of lines")
        return list(override)
    if isinstance(default, bool) or not isinstance(default, int | str):
        raise ContentError(f"{path} has an unknown kind of value")
    if isinstance(default, int):
        return _whole_number(override, path)
    if not isinstance(override, str):
        raise ContentError(f"{path} must be text")
    return override


def clinic_content(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """The defaults with a clinic's overrides laid over them, checked for shape."""
    return _merge(DEFAULT_CONTENT, overrides or {}, "")
