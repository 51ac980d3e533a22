"""The words and time windows patients see, with each clinic's own changes over the defaults.

Defaults follow the project's clinical content (discharge instructions, side effects, red flags,
crisis resources), written plainly for someone who is drowsy or dizzy.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .learn import LearnError, check_learn
from .translation import N_, Translate, untranslated

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
    # {until} becomes a moment in words, e.g. "tomorrow at 3:40 PM" (care/human_time.py).
    "timed": {
        "driving": N_(
            "Do not drive, ride a bike or use machinery until {until}, "
            "and only after a night's sleep."
        ),
        "decisions": N_("No big decisions about money, the law or work until {until}."),
        "alcohol": N_("No alcohol or cannabis until {until}."),
        "sedatives": N_(
            "No opioid pain pills, sleeping pills or anxiety pills (benzodiazepines) "
            "until {until}, unless the clinic told you otherwise."
        ),
        "companion": N_("Someone should stay with you until {until}."),
    },
    "normal": [
        N_("Feeling detached, floaty or unreal."),
        N_("Dizziness. Sit or lie down, and stand up slowly."),
        N_("Feeling sick to your stomach."),
        N_("Feeling sleepy or tired for the rest of the day."),
        N_("A headache."),
        N_("Blurred or double vision for an hour or two."),
        N_("Feeling anxious."),
        N_("These usually pass within a few hours."),
    ],
    "self_care": [
        N_("Rest for the rest of the day."),
        N_("Drink water. Eat something light once any sickness passes."),
        N_("Keep your next appointments, including therapy sessions."),
    ],
    # What to expect the day after an infusion, after a night's sleep.
    "next_day": [
        N_("Most people feel like themselves again after a night's sleep."),
        N_("Drive only if you no longer feel floaty or confused."),
        N_(
            "Call the clinic if you still feel detached or confused, or see or hear things "
            "that are not there."
        ),
    ],
    "call_clinic": [
        N_("A new rash or itching."),
        N_("Vomiting so much you cannot keep fluids down."),
        N_("Feeling detached, confused or seeing things that are not there the next day."),
        N_("Your mood is lower than before the infusion."),
        N_("Pain or blood when you pee."),
        N_("Blood pressure much higher than your usual."),
    ],
    "call_911": [
        N_("Trouble breathing."),
        N_("Your throat feels like it is closing, or it is hard to swallow."),
        N_("Swelling of your face or lips."),
        N_("Chest pain."),
        N_("Fainting, or you are very hard to wake."),
    ],
    "crisis": {
        "line": "988",
        "line_name": N_("988 Suicide & Crisis Lifeline"),
        "options": N_("Press 1 for veterans. Press 2 for Spanish."),
        # The crisis bar's first line; {line} becomes the crisis line's number.
        "prompt": N_("Call or text {line} (press 2 for Spanish)"),
        "emergency": "911",
    },
    "not_monitored": N_(
        "This app is not watched around the clock. "
        "In an emergency call 911. If you are in crisis, call or text 988."
    ),
    "levels": {
        "emergency": {
            "title": N_("Call 911 now"),
            # The title says what to do; the body never says it again.
            "body": N_(
                "This can be an emergency. If you can, have someone call for you. "
                "Do not drive yourself."
            ),
        },
        "crisis": {
            "title": N_("Call or text 988 now"),
            "body": N_(
                "You do not have to face this alone. Someone will talk with you right now. "
                "If you are in danger, call 911."
            ),
        },
        "call_clinic": {
            "title": N_("Call the clinic"),
            "body": N_("This is not an emergency, but your care team needs to know."),
        },
        "expected": {
            "title": N_("Rest. This is expected."),
            "body": N_(
                "What you told us is common after an infusion and usually passes within "
                "a few hours. Rest, drink water, and check in again if anything changes."
            ),
        },
    },
    # Patient wording for a triage reason, by rule code, over the rule's own advice.
    "reasons": {},
    # When reminders go out. Appointment reminders: hours before it starts. Infusions also
    # get a message the day before (at driver_hour) to arrange a ride home, and check-in
    # prompts the evening of the infusion and the next morning (hours of the clinic's clock).
    # Nothing is sent in quiet hours, from quiet_start to quiet_end o'clock, except a reminder
    # of an appointment less than two hours away (care/reminder_sending.py).
    "reminders": {
        "appointment_hours": [24, 2],
        "driver_hour": 10,
        "evening_hour": 19,
        "morning_hour": 9,
        "quiet_start": 21,
        "quiet_end": 8,
    },
    # Questionnaires: every how many days each is due (0: not scheduled), at what hour of the
    # clinic's clock, and how many days before a booster PHQ-9 and GAD-7 are due again.
    "questionnaires": {
        "pcl5_days": 7,
        "phq9_days": 14,
        "gad7_days": 14,
        "days_before_booster": 2,
        "hour": 10,
        # With a treatment course planned: the baseline opens this many days before the first
        # infusion, and after the series each questionnaire comes every maintenance_days.
        "baseline_days_before": 3,
        "maintenance_days": 14,
    },
    # What a notification says. A lock screen is public: no treatment, no clinical details.
    # {when} becomes e.g. "tomorrow at 3:00 PM".
    "notifications": {
        "appointment_title": N_("Appointment reminder"),
        "appointment_body": N_("You have an appointment {when}."),
        "driver_title": N_("Plan your ride home"),
        "driver_body": N_(
            "Your appointment is {when}. Arrange for someone to take you home afterwards."
        ),
        "evening_title": N_("How are you feeling?"),
        "evening_body": N_("Tap to check in with your care team."),
        "morning_title": N_("Good morning"),
        "morning_body": N_("How did you sleep? Tap to check in."),
        "questionnaire_title": N_("A few questions for your care team"),
        "questionnaire_body": N_("Tap to answer a short questionnaire."),
        # Reminders due within the same hour go out as one message. {count} is 2 or more.
        "questionnaires_body": N_("{count} short questionnaires are ready. Tap to start."),
        "several_title": N_("You have {count} reminders"),
        "several_body": N_("Tap to see what to do now."),
    },
}

# The language the defaults and a clinic's own (untagged) wording are written in.
BASE_LANGUAGE = "en"
# The parts of the content that are words in a language; the rest (hours, phone numbers,
# reminder times) is the same whatever language the patient reads.
WORDS: tuple[str, ...] = (
    "timed",
    "normal",
    "self_care",
    "next_day",
    "call_clinic",
    "call_911",
    "crisis.line_name",
    "crisis.options",
    "crisis.prompt",
    "not_monitored",
    "levels",
    "reasons",
    "notifications",
)

# Whole-number settings that are not hours after an infusion (0-168), with their ranges.
INT_RANGES: dict[str, tuple[int, int]] = {
    "reminders.appointment_hours": (1, 336),
    "reminders.driver_hour": (0, 23),
    "reminders.evening_hour": (0, 23),
    "reminders.morning_hour": (0, 23),
    "reminders.quiet_start": (0, 23),
    "reminders.quiet_end": (0, 23),
    "questionnaires.pcl5_days": (0, 90),
    "questionnaires.phq9_days": (0, 90),
    "questionnaires.gad7_days": (0, 90),
    "questionnaires.days_before_booster": (0, 14),
    "questionnaires.hour": (0, 23),
    "questionnaires.baseline_days_before": (0, 14),
    "questionnaires.maintenance_days": (0, 90),
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


def _words_shape(words: Any, path: str) -> None:
    """A clinic's wording for one language: only the parts that are words, shaped as the
    defaults are."""
    if not isinstance(words, Mapping):
        raise ContentError(f"{path} must be a set of named values")
    sections = {part.split(".")[0] for part in WORDS}
    for key, value in words.items():
        if key not in sections:
            raise ContentError(f"{path}.{key} is not wording")
        if key == "crisis":
            if not isinstance(value, Mapping):
                raise ContentError(f"{path}.crisis must be a set of named values")
            for name in value:
                if f"crisis.{name}" not in WORDS:
                    raise ContentError(f"{path}.crisis.{name} is not wording")
        _merge(DEFAULT_CONTENT[key], value, f"{path}.{key}")


def _split(overrides: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A clinic's overrides in the base language, and its wording in each other language."""
    base = dict(overrides or {})
    translations = base.pop("translations", {})
    # The clinic's Learn articles are kept beside its wording and read by care/learn.
    try:
        check_learn(base.pop("learn", {}))
    except LearnError as error:
        raise ContentError(str(error)) from error
    if not isinstance(translations, Mapping):
        raise ContentError("translations must be a set of named values")
    for language, words in translations.items():
        if not isinstance(language, str) or language == BASE_LANGUAGE:
            raise ContentError(f"translations.{language} is not another language")
        _words_shape(words, f"translations.{language}")
    return base, dict(translations)


def _leaves(tree: Mapping[str, Any], prefix: str) -> list[str]:
    """Dotted paths to every text or list of lines under `prefix`."""
    node = _get(tree, prefix)
    if isinstance(node, Mapping):
        return [path for key in node for path in _leaves(tree, f"{prefix}.{key}")]
    return [prefix]


def _get(tree: Mapping[str, Any], path: str, default: Any = None) -> Any:
    node: Any = tree
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return default
        node = node[part]
    return node


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        tree = tree.setdefault(part, {})
    tree[last] = value


def word_paths(content: Mapping[str, Any]) -> list[str]:
    """Every piece of wording in merged content, as a dotted path (reasons by rule code)."""
    return [path for part in WORDS for path in _leaves(content, part)]


def _changed(base: Mapping[str, Any], path: str) -> bool:
    """Whether the clinic's own wording differs from the default here."""
    return _get(base, path) != _get(DEFAULT_CONTENT, path)


def clinic_content(
    overrides: Mapping[str, Any] | None,
    language: str = BASE_LANGUAGE,
    translate: Translate = untranslated,
) -> dict[str, Any]:
    """The defaults with a clinic's overrides laid over them, checked for shape, in `language`.

    Wording in another language comes, for each piece, from the first of:
      1. the clinic's own wording in that language (overrides["translations"][language]);
      2. the clinic's own wording in the base language, where it changed the default: a
         clinic's edit (a longer window, an extra warning) must reach every patient, so it is
         never replaced by a translation of a default it chose not to use;
      3. the default, translated by `translate`.
    """
    base_overrides, translations = _split(overrides)
    base = _merge(DEFAULT_CONTENT, base_overrides, "")
    if language == BASE_LANGUAGE:
        return base
    local = translations.get(language, {})
    result = copy.deepcopy(base)
    for path in word_paths(base):
        if _get(local, path) is not None:
            value = _get(local, path)
        elif _changed(base, path):
            value = _get(base, path)
        else:
            default = _get(DEFAULT_CONTENT, path)
            value = (
                [translate(line) for line in default]
                if isinstance(default, list)
                else (translate(default))
            )
        _set(result, path, copy.deepcopy(value))
    for code, text in local.get("reasons", {}).items():
        result["reasons"][code] = text
    return result


def kept_in_base_language(overrides: Mapping[str, Any] | None, language: str) -> set[str]:
    """The wording shown in the base language to `language` readers: the clinic changed it and
    has not written it in their language (rule 2 of clinic_content)."""
    if language == BASE_LANGUAGE:
        return set()
    base_overrides, translations = _split(overrides)
    base = _merge(DEFAULT_CONTENT, base_overrides, "")
    local = translations.get(language, {})
    return {path for path in word_paths(base) if _get(local, path) is None and _changed(base, path)}
