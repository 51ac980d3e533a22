"""The questionnaire alert cases that both the Python and the JavaScript evaluator must get right.

Each case names an instrument: a built-in one, or CLINIC_EXAMPLE, a clinic's own definition
(as AFTERCARE_INSTRUMENTS_DIR would hold it) with several rules on one item, levels that differ
from the help shown, and ties broken by the table's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aftercare.care.instruments import Instrument, load_builtin, parse_definition
from tests.care.test_instruments import clinic_definition

# A clinic's own three-item check (test_instruments.py's, with other items and rules), answers
# 0-2. Rules, in table order:
#   low_mood          item 1 above 0: call the clinic (no "shows": the level's own help)
#   self_harm_thoughts item 3 above 0: crisis, crisis help
#   self_harm_plans   item 3 above 1: an emergency for the clinic, crisis help for the patient
#   worry_high        item 2 above 1: call the clinic, same level as low_mood
CLINIC_EXAMPLE: dict[str, Any] = {
    **clinic_definition(),
    "items": [
        {"number": 1, "text": "Low mood"},
        {"number": 2, "text": "Worry"},
        {"number": 3, "text": "Thoughts of hurting yourself"},
    ],
    "scoring": {
        "total": {"min": 0, "max": 6},
        "direction": "higher_is_worse",
        "alerts": [
            {"item": 1, "above": 0, "level": "call_clinic", "reason": "low_mood"},
            {
                "item": 3,
                "above": 0,
                "level": "crisis",
                "reason": "self_harm_thoughts",
                "shows": "crisis",
            },
            {
                "item": 3,
                "above": 1,
                "level": "emergency",
                "reason": "self_harm_plans",
                "shows": "crisis",
            },
            {"item": 2, "above": 1, "level": "call_clinic", "reason": "worry_high"},
        ],
    },
}

INSTRUMENTS: dict[str, Instrument] = {
    **load_builtin(),
    "mood3": parse_definition(CLINIC_EXAMPLE, "mood3.json"),
}


@dataclass(frozen=True)
class Case:
    """Answers to one instrument (None: seen but unanswered), and what they must raise."""

    id: str
    instrument: str
    answers: dict[int, int | None]
    reasons: tuple[str, ...] = ()  # most urgent first
    shows: str | None = None

    def answers_as_json(self) -> dict[str, int | None]:
        """The answers keyed as JSON keys them (and the browser reads them): by text."""
        return {str(item): value for item, value in self.answers.items()}


def phq9(item9: int | None, others: int = 0) -> dict[int, int | None]:
    """A whole PHQ-9: items 1-8 answered `others`, item 9 as given."""
    return {**dict.fromkeys(range(1, 9), others), 9: item9}


def every(instrument: str, value: int) -> dict[int, int | None]:
    """Every item of a built-in instrument answered the same."""
    return dict.fromkeys(INSTRUMENTS[instrument].item_numbers, value)


ITEM9 = ("phq9_item9",)

CASES: tuple[Case, ...] = (
    # PHQ-9 item 9: any answer above 0 is a crisis, whatever the total.
    Case("phq9_all_not_at_all", "phq9", phq9(0)),
    Case("phq9_item9_several_days", "phq9", phq9(1), ITEM9, "crisis"),
    Case("phq9_item9_more_than_half", "phq9", phq9(2), ITEM9, "crisis"),
    Case("phq9_item9_nearly_every_day", "phq9", phq9(3), ITEM9, "crisis"),
    Case("phq9_severe_total_item9_zero", "phq9", phq9(0, others=3)),
    Case("phq9_item9_with_a_severe_total", "phq9", phq9(3, others=3), ITEM9, "crisis"),
    # The patient answered item 9 first and nothing else: the help must not wait.
    Case("phq9_only_item9_answered", "phq9", {9: 1}, ITEM9, "crisis"),
    Case("phq9_item9_not_yet_answered", "phq9", phq9(None, others=3)),
    Case("phq9_nothing_answered", "phq9", {}),
    # No rules: the highest answers raise nothing.
    Case("gad7_all_nearly_every_day", "gad7", every("gad7", 3)),
    Case("pcl5_all_extremely", "pcl5", every("pcl5", 4)),
    # A clinic's own instrument.
    Case("clinic_nothing_answered", "mood3", {}),
    Case("clinic_all_no", "mood3", {1: 0, 2: 0, 3: 0}),
    Case("clinic_low_mood", "mood3", {1: 1}, ("low_mood",), "call_clinic"),
    Case("clinic_worry_at_its_threshold", "mood3", {2: 1}),
    Case("clinic_worry_above_it", "mood3", {2: 2}, ("worry_high",), "call_clinic"),
    Case("clinic_self_harm_thoughts", "mood3", {3: 1}, ("self_harm_thoughts",), "crisis"),
    # Two rules on one item: the emergency first, and its help is the crisis line's.
    Case(
        "clinic_self_harm_plans",
        "mood3",
        {3: 2},
        ("self_harm_plans", "self_harm_thoughts"),
        "crisis",
    ),
    # The most urgent first, though lower in the table.
    Case(
        "clinic_crisis_outranks_call_clinic",
        "mood3",
        {1: 2, 2: 0, 3: 1},
        ("self_harm_thoughts", "low_mood"),
        "crisis",
    ),
    # Two at one level: the table's order.
    Case(
        "clinic_two_calls_in_table_order",
        "mood3",
        {1: 1, 2: 2, 3: 0},
        ("low_mood", "worry_high"),
        "call_clinic",
    ),
    Case(
        "clinic_everything_at_once",
        "mood3",
        {1: 2, 2: 2, 3: 2},
        ("self_harm_plans", "self_harm_thoughts", "low_mood", "worry_high"),
        "crisis",
    ),
    Case("clinic_unanswered_is_not_zero_or_more", "mood3", {1: None, 2: None, 3: None}),
)
