"""The side effects a patient can report in a check-in, and how each is answered."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from .translation import N_


class Severity(IntEnum):
    """How much a graded side effect bothers the patient right now."""

    NONE = 0
    MILD = 1
    MODERATE = 2
    SEVERE = 3


SEVERITY_LABELS = {
    Severity.NONE: N_("No"),
    Severity.MILD: N_("A little"),
    Severity.MODERATE: N_("Quite a bit"),
    Severity.SEVERE: N_("Very much"),
}


@dataclass(frozen=True)
class Symptom:
    """One side effect on the check-in form.

    A graded symptom is answered 0-3 (see Severity); an ungraded one is a yes (1) or no (0),
    because for red flags such as chest pain any amount matters.
    """

    code: str
    label: str
    graded: bool


# Expected effects that pass within hours: asked with a severity.
GRADED = (
    Symptom("dissociation", N_("Feeling detached, floaty or unreal"), True),
    Symptom("dizziness", N_("Dizziness or the room spinning"), True),
    Symptom("nausea", N_("Nausea or vomiting"), True),
    Symptom("headache", N_("Headache"), True),
    Symptom("drowsiness", N_("Drowsiness or tiredness"), True),
    Symptom("blurred_vision", N_("Blurred or double vision"), True),
    Symptom("anxiety", N_("Anxiety or feeling on edge"), True),
    Symptom("low_mood", N_("Low mood, worse than before"), True),
)

# Effects the care team must hear about, and red flags: asked yes or no.
YES_NO = (
    Symptom("cannot_keep_fluids", N_("Vomiting so much you cannot keep fluids down"), False),
    Symptom(
        "confusion_hallucinations",
        N_("Confusion, or seeing or hearing things that are not there"),
        False,
    ),
    Symptom("rash_itching", N_("A new rash or itching"), False),
    Symptom("painful_urination", N_("Pain or blood when you pee"), False),
    Symptom("suicidal_thoughts", N_("Thoughts of hurting yourself or ending your life"), False),
    Symptom("chest_pain", N_("Chest pain or pressure"), False),
    Symptom("trouble_breathing", N_("Trouble breathing"), False),
    Symptom(
        "swelling",
        N_("Swelling of your face, lips, tongue or throat, or trouble swallowing"),
        False,
    ),
    Symptom("fainting", N_("Fainting, or very hard to stay awake"), False),
)

SYMPTOMS = GRADED + YES_NO
SYMPTOMS_BY_CODE = {symptom.code: symptom for symptom in SYMPTOMS}

# Home vital signs the form accepts: wide enough for any real reading, narrow enough to catch
# a typo (a pulse typed into the blood pressure box, a missing digit).
SYSTOLIC_RANGE = (60, 260)
DIASTOLIC_RANGE = (30, 160)
HEART_RATE_RANGE = (30, 220)
NOTE_MAX_LENGTH = 500
