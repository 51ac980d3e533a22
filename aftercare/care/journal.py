"""The integration journal: the questions it offers, the mood scale and the limits of an entry.

Entries stay on the patient's phone (static/js/journal.js). Only an entry the patient chooses
to share is sent, one at a time, and kept by the server (aftercare/patient/journal_sharing.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .translation import N_

MOOD_LOWEST, MOOD_HIGHEST = 0, 10

# Optional questions an entry offers, from the integration work that follows a session.
DEFAULT_PROMPTS: tuple[str, ...] = (
    N_("What stood out during the session?"),
    N_("What would you like to bring to therapy?"),
)

# A clinic may set up to this many questions, each this long at most.
MOST_PROMPTS = 4
PROMPT_MAX_LENGTH = 200
# What a shared entry may hold: a page of writing per answer, a few pages of free text.
ANSWER_MAX_LENGTH = 4000
TEXT_MAX_LENGTH = 10000
PROMPT_LANGUAGES = ("en", "es")


def clinic_prompts(
    prompts: Mapping[str, Any] | None, language: str, translate: Callable[[str], str]
) -> list[str]:
    """The questions the patient sees, in their language.

    A clinic that set its own questions gets them; in a language it left empty, the English
    ones it wrote (a clinic's own words have no translation of ours). Without its own, the
    defaults, translated.
    """
    prompts = prompts or {}
    own = prompts.get(language)
    english = prompts.get("en")
    if not own and english and tuple(english) != DEFAULT_PROMPTS:
        own = english
    if own:
        return [str(prompt) for prompt in own]
    return [translate(prompt) for prompt in DEFAULT_PROMPTS]


def stored_prompts(english: list[str], spanish: list[str]) -> dict[str, list[str]] | None:
    """What a clinic's questions are kept as: None while they are the defaults."""
    if not spanish and (not english or tuple(english) == DEFAULT_PROMPTS):
        return None
    return {"en": english or list(DEFAULT_PROMPTS), "es": spanish}


def prompt_lines(text: str) -> list[str]:
    """A clinic's questions from a text box, one a line, blank lines dropped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def prompts_problem(lines: Sequence[str]) -> str | None:
    """What is wrong with a clinic's list of questions, or None."""
    if len(lines) > MOST_PROMPTS:
        return f"Write at most {MOST_PROMPTS} questions."
    if any(len(line) > PROMPT_MAX_LENGTH for line in lines):
        return f"Keep each question under {PROMPT_MAX_LENGTH} characters."
    return None
