"""Which journal questions a patient sees, from what the clinic set, in their language."""

from __future__ import annotations

import pytest

from aftercare.care.journal import (
    DEFAULT_PROMPTS,
    MOST_PROMPTS,
    PROMPT_MAX_LENGTH,
    clinic_prompts,
    prompt_lines,
    prompts_problem,
    stored_prompts,
)


def spanish(text: str) -> str:
    return f"es:{text}"


OWN_EN = ["How did you sleep?"]
OWN_ES = ["¿Cómo durmió?"]

CASES = [
    # (what the clinic keeps, language, what the patient sees)
    (None, "en", list(DEFAULT_PROMPTS)),
    (None, "es", [spanish(p) for p in DEFAULT_PROMPTS]),
    ({"en": OWN_EN, "es": OWN_ES}, "en", OWN_EN),
    ({"en": OWN_EN, "es": OWN_ES}, "es", OWN_ES),
    # The clinic's own English, with no Spanish: its English, never a default in its place.
    ({"en": OWN_EN, "es": []}, "es", OWN_EN),
    # The default English with the clinic's Spanish: that Spanish, and our English.
    ({"en": list(DEFAULT_PROMPTS), "es": OWN_ES}, "es", OWN_ES),
    ({"en": list(DEFAULT_PROMPTS), "es": OWN_ES}, "en", list(DEFAULT_PROMPTS)),
]


@pytest.mark.parametrize(("kept", "language", "seen"), CASES)
def test_the_patient_sees_the_clinics_questions_in_their_language(kept, language, seen):
    translate = spanish if language == "es" else str
    assert clinic_prompts(kept, language, translate) == seen


def test_defaults_are_kept_as_nothing_so_improved_defaults_reach_the_clinic():
    assert stored_prompts([], []) is None
    assert stored_prompts(list(DEFAULT_PROMPTS), []) is None
    assert stored_prompts(OWN_EN, []) == {"en": OWN_EN, "es": []}
    assert stored_prompts([], OWN_ES) == {"en": list(DEFAULT_PROMPTS), "es": OWN_ES}


def test_a_clinics_questions_are_one_a_line_and_limited():
    assert prompt_lines(" One?\n\n  Two? \r\n") == ["One?", "Two?"]
    assert prompts_problem(["q"] * MOST_PROMPTS) is None
    assert prompts_problem(["q"] * (MOST_PROMPTS + 1)) is not None
    assert prompts_problem(["q" * PROMPT_MAX_LENGTH]) is None
    assert prompts_problem(["q" * (PROMPT_MAX_LENGTH + 1)]) is not None
