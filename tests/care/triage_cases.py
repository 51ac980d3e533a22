"""The triage cases that both the Python and the JavaScript evaluator must get right."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from aftercare.care.triage import CheckInAnswers


@dataclass(frozen=True)
class Case:
    """One check-in (answers in the browser's shape), when it happened, and the expected triage."""

    id: str
    answers: dict[str, Any]
    hours: float | None
    level: str
    reasons: tuple[str, ...] = ()

    def check_in_answers(self) -> CheckInAnswers:
        """The answers as Python's triage() takes them."""
        return CheckInAnswers(
            severities=self.answers["severities"],
            systolic=self.answers["systolic"],
            diastolic=self.answers["diastolic"],
            heart_rate=self.answers["heart_rate"],
        )

    def as_json(self) -> dict[str, Any]:
        """The case as plain data for the browser."""
        return asdict(self)


def answers(
    systolic: int | None = None,
    diastolic: int | None = None,
    heart_rate: int | None = None,
    **severities: int,
) -> dict[str, Any]:
    """Check-in answers in the shape static/js/triage.js takes."""
    return {
        "severities": severities,
        "systolic": systolic,
        "diastolic": diastolic,
        "heart_rate": heart_rate,
    }


EXPECTED = "expected"
CALL_CLINIC = "call_clinic"
CRISIS = "crisis"
EMERGENCY = "emergency"

RED_FLAGS_ALL_NO = answers(
    chest_pain=0,
    trouble_breathing=0,
    swelling=0,
    fainting=0,
    suicidal_thoughts=0,
    cannot_keep_fluids=0,
    rash_itching=0,
    painful_urination=0,
    confusion_hallucinations=0,
)

CASES: list[Case] = [
    # All clear.
    Case("nothing_reported", answers(), 2, EXPECTED),
    Case("nothing_reported_no_infusion_recorded", answers(), None, EXPECTED),
    Case("every_yes_no_answered_no_next_day", RED_FLAGS_ALL_NO, 30, EXPECTED),
    Case(
        "strong_expected_effects_in_first_hours",
        answers(dissociation=3, dizziness=3, nausea=3, headache=2, blurred_vision=2, anxiety=3),
        1,
        EXPECTED,
    ),
    Case("normal_vitals", answers(118, 76, 72), 5, EXPECTED),
    # Emergency red flags.
    Case("chest_pain", answers(chest_pain=1), 1, EMERGENCY, ("chest_pain",)),
    Case("trouble_breathing", answers(trouble_breathing=1), 1, EMERGENCY, ("trouble_breathing",)),
    Case("swelling", answers(swelling=1), 3, EMERGENCY, ("swelling",)),
    Case("fainting", answers(fainting=1), None, EMERGENCY, ("fainting",)),
    # Crisis-level blood pressure with vision change or confusion.
    Case(
        "bp_crisis_systolic_180_with_blurred_vision",
        answers(180, 90, blurred_vision=1),
        1,
        EMERGENCY,
        ("bp_crisis_with_symptoms",),
    ),
    Case(
        "bp_crisis_diastolic_120_with_confusion",
        answers(150, 120, confusion_hallucinations=1),
        1,
        EMERGENCY,
        ("bp_crisis_with_symptoms",),
    ),
    Case(
        "bp_crisis_with_symptoms_and_no_diastolic",
        answers(190, None, blurred_vision=3),
        None,
        EMERGENCY,
        ("bp_crisis_with_symptoms",),
    ),
    Case(
        "bp_just_below_crisis_with_blurred_vision_in_first_hours",
        answers(179, 119, blurred_vision=2),
        1,
        EXPECTED,
    ),
    Case(
        "bp_just_below_crisis_with_blurred_vision_after_4_hours",
        answers(179, 119, blurred_vision=2),
        4,
        CALL_CLINIC,
        ("bp_high",),
    ),
    Case(
        "bp_crisis_with_symptoms_late_does_not_add_bp_high",
        answers(185, 125, blurred_vision=1),
        6,
        EMERGENCY,
        ("bp_crisis_with_symptoms",),
    ),
    # Crisis-level blood pressure alone.
    Case("bp_crisis_systolic_180", answers(180, 90), 1, CALL_CLINIC, ("bp_crisis",)),
    Case("bp_crisis_diastolic_120", answers(150, 120), 1, CALL_CLINIC, ("bp_crisis",)),
    Case("bp_crisis_systolic_only", answers(200), None, CALL_CLINIC, ("bp_crisis",)),
    Case("bp_crisis_diastolic_only", answers(None, 130), None, CALL_CLINIC, ("bp_crisis",)),
    Case("bp_just_below_crisis_in_first_hours", answers(179, 119), 2, EXPECTED),
    Case(
        "bp_crisis_with_blurred_vision_none",
        answers(180, 90, blurred_vision=0),
        1,
        CALL_CLINIC,
        ("bp_crisis",),
    ),
    Case(
        "bp_crisis_after_4_hours_does_not_add_bp_high",
        answers(185, 100),
        6,
        CALL_CLINIC,
        ("bp_crisis",),
    ),
    # Blood pressure well above usual, once it should have settled.
    Case("bp_high_systolic_160_at_4_hours", answers(160, 80), 4, CALL_CLINIC, ("bp_high",)),
    Case("bp_high_diastolic_100_at_4_hours", answers(130, 100), 4, CALL_CLINIC, ("bp_high",)),
    Case("bp_high_systolic_only", answers(165), 10, CALL_CLINIC, ("bp_high",)),
    Case("bp_just_below_high_at_4_hours", answers(159, 99), 4, EXPECTED),
    Case("bp_high_just_before_4_hours", answers(160, 100), 3.9, EXPECTED),
    Case("bp_high_no_infusion_recorded", answers(170, 110), None, EXPECTED),
    # Fast heart rate, once it should have settled.
    Case(
        "heart_rate_120_at_4_hours", answers(heart_rate=120), 4, CALL_CLINIC, ("heart_rate_high",)
    ),
    Case("heart_rate_119_at_4_hours", answers(heart_rate=119), 4, EXPECTED),
    Case("heart_rate_120_just_before_4_hours", answers(heart_rate=120), 3.9, EXPECTED),
    Case("heart_rate_high_no_infusion_recorded", answers(heart_rate=150), None, EXPECTED),
    # Suicidal thoughts.
    Case("suicidal_thoughts", answers(suicidal_thoughts=1), 1, CRISIS, ("suicidal_thoughts",)),
    Case(
        "suicidal_thoughts_no_infusion_recorded",
        answers(suicidal_thoughts=1),
        None,
        CRISIS,
        ("suicidal_thoughts",),
    ),
    # Call the clinic at any time.
    Case(
        "cannot_keep_fluids",
        answers(cannot_keep_fluids=1, nausea=3),
        2,
        CALL_CLINIC,
        ("cannot_keep_fluids",),
    ),
    Case("rash_itching", answers(rash_itching=1), 2, CALL_CLINIC, ("rash_itching",)),
    Case(
        "painful_urination", answers(painful_urination=1), None, CALL_CLINIC, ("painful_urination",)
    ),
    Case("low_mood_very_much_worse", answers(low_mood=3), 2, CALL_CLINIC, ("low_mood_severe",)),
    Case("low_mood_quite_a_bit_worse", answers(low_mood=2), 2, EXPECTED),
    # Effects still there the next day.
    Case(
        "confusion_at_16_hours",
        answers(confusion_hallucinations=1),
        16,
        CALL_CLINIC,
        ("confusion_next_day",),
    ),
    Case("confusion_just_before_16_hours", answers(confusion_hallucinations=1), 15.9, EXPECTED),
    Case("confusion_no_infusion_recorded", answers(confusion_hallucinations=1), None, EXPECTED),
    Case(
        "dissociation_a_little_at_16_hours",
        answers(dissociation=1),
        16,
        CALL_CLINIC,
        ("dissociation_next_day",),
    ),
    Case("dissociation_none_at_16_hours", answers(dissociation=0), 16, EXPECTED),
    Case("dissociation_just_before_16_hours", answers(dissociation=3), 15.9, EXPECTED),
    Case(
        "severe_headache_at_24_hours",
        answers(headache=3),
        24,
        CALL_CLINIC,
        ("severe_effect_next_day",),
    ),
    Case(
        "severe_anxiety_two_days_later",
        answers(anxiety=3, drowsiness=2),
        48,
        CALL_CLINIC,
        ("severe_effect_next_day",),
    ),
    Case("severe_headache_just_before_24_hours", answers(headache=3), 23.9, EXPECTED),
    Case("moderate_effects_at_24_hours", answers(headache=2, nausea=2, dizziness=2), 24, EXPECTED),
    Case("severe_headache_no_infusion_recorded", answers(headache=3), None, EXPECTED),
    Case(
        "yes_no_answers_are_not_severe_effects",
        answers(rash_itching=1, painful_urination=1),
        30,
        CALL_CLINIC,
        ("rash_itching", "painful_urination"),
    ),
    # Several rules at once: most urgent first, ties in table order.
    Case(
        "severe_dissociation_next_day_gives_both_reasons",
        answers(dissociation=3),
        24,
        CALL_CLINIC,
        ("dissociation_next_day", "severe_effect_next_day"),
    ),
    Case(
        "severe_low_mood_next_day_gives_both_reasons",
        answers(low_mood=3),
        24,
        CALL_CLINIC,
        ("low_mood_severe", "severe_effect_next_day"),
    ),
    Case(
        "emergencies_in_table_order",
        answers(fainting=1, chest_pain=1),
        1,
        EMERGENCY,
        ("chest_pain", "fainting"),
    ),
    Case(
        "emergency_before_crisis",
        answers(suicidal_thoughts=1, trouble_breathing=1),
        1,
        EMERGENCY,
        ("trouble_breathing", "suicidal_thoughts"),
    ),
    Case(
        "crisis_before_call_clinic",
        answers(rash_itching=1, suicidal_thoughts=1, low_mood=3),
        2,
        CRISIS,
        ("suicidal_thoughts", "rash_itching", "low_mood_severe"),
    ),
    Case(
        "everything_at_once",
        answers(
            180,
            120,
            125,
            painful_urination=1,
            cannot_keep_fluids=1,
            confusion_hallucinations=1,
            dissociation=3,
            swelling=1,
            suicidal_thoughts=1,
        ),
        30,
        EMERGENCY,
        (
            "swelling",
            "bp_crisis_with_symptoms",
            "suicidal_thoughts",
            "heart_rate_high",
            "cannot_keep_fluids",
            "painful_urination",
            "confusion_next_day",
            "dissociation_next_day",
            "severe_effect_next_day",
        ),
    ),
    Case(
        "bp_crisis_and_fast_heart_after_4_hours",
        answers(182, 95, 130),
        5,
        CALL_CLINIC,
        ("bp_crisis", "heart_rate_high"),
    ),
]
