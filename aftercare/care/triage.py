"""Triage of a check-in: from a patient's answers to what they should do now, and why.

The rules are a table of data, not code, so that the browser (static/js/triage.js) evaluates
the very same table offline: a patient in a car with no signal must still be told at once to
call 911 or 988. Both evaluators must stay identical; tests/browser/test_triage_parity.py
checks that they agree on every case in tests/care/triage_cases.py.

A rule matches when ALL of its conditions that are set hold:
  - symptoms: ANY of these codes is answered at least min_severity (a missing code is 0);
  - vitals_at_least: ANY of these readings is at least its threshold (a missing reading never
    matches);
  - min_hours: at least this many hours have passed since the infusion ended (unknown never
    matches);
  - unless: NONE of these rules' own conditions hold (their own `unless` is not consulted, so
    there is no chain to follow). Codes absent from the table are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aftercare.care.symptoms import GRADED, Severity
from aftercare.care.translation import N_

VITALS = ("systolic", "diastolic", "heart_rate")


class Level(StrEnum):
    """How urgently the patient must act, least urgent first."""

    EXPECTED = "expected"
    CALL_CLINIC = "call_clinic"
    CRISIS = "crisis"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        """Urgency as a number: expected 0 up to emergency 3."""
        return _RANKS[self]

    @property
    def is_alert(self) -> bool:
        """Whether the care team must hear about this level."""
        return self is not Level.EXPECTED


_RANKS = {level: rank for rank, level in enumerate(Level)}


@dataclass(frozen=True)
class CheckInAnswers:
    """What a patient reported: symptom code -> 0..3 (graded) or 0/1 (yes/no), and vitals."""

    severities: Mapping[str, int]
    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None

    def severity(self, code: str) -> int:
        """The answer for one symptom; an unanswered symptom counts as none."""
        return self.severities.get(code, 0)


@dataclass(frozen=True)
class Rule:
    """One triage rule: when its conditions all hold, the patient gets this level and advice."""

    code: str
    level: Level
    # What this rule adds to its level's advice: why it matters, or a step of its own. Never
    # the level's action again (the result's title says that once). Empty: nothing to add.
    advice: str
    symptoms: tuple[str, ...] = ()
    min_severity: int = 1
    vitals_at_least: tuple[tuple[str, int], ...] = ()
    min_hours: float | None = None
    unless: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A rule with neither symptoms nor vitals would match every check-in, the all-clear too.
        if not self.symptoms and not self.vitals_at_least:
            raise ValueError(f"rule {self.code!r} needs symptoms or vitals_at_least")
        # 0 would match every unanswered symptom, since a missing answer counts as 0.
        if not Severity.MILD <= self.min_severity <= Severity.SEVERE:
            raise ValueError(f"rule {self.code!r}: min_severity must be 1-3")
        for vital, _ in self.vitals_at_least:
            if vital not in VITALS:
                raise ValueError(f"rule {self.code!r}: unknown vital sign {vital!r}")

    def conditions_hold(self, answers: CheckInAnswers, hours_since_infusion: float | None) -> bool:
        """Whether this rule's own conditions hold, leaving `unless` aside."""
        if self.symptoms and not any(
            answers.severity(code) >= self.min_severity for code in self.symptoms
        ):
            return False
        if self.vitals_at_least and not any(
            (reading := getattr(answers, vital)) is not None and reading >= threshold
            for vital, threshold in self.vitals_at_least
        ):
            return False
        return self.min_hours is None or (
            hours_since_infusion is not None and hours_since_infusion >= self.min_hours
        )

    def conditions(self) -> dict[str, Any]:
        """The conditions as JSON-friendly data, every key always present."""
        return {
            "symptoms": list(self.symptoms),
            "min_severity": int(self.min_severity),
            "vitals_at_least": dict(self.vitals_at_least),
            "min_hours": self.min_hours,
            "unless": list(self.unless),
        }


@dataclass(frozen=True)
class TriageResult:
    """The most urgent level that applies, and the codes of every rule that matched."""

    level: Level
    reasons: tuple[str, ...]


# American Heart Association: 180/120 or higher is the hypertensive crisis category.
BP_CRISIS = (("systolic", 180), ("diastolic", 120))
# Blood pressure and pulse rise during an infusion; only a reading still high hours later counts.
SETTLED_HOURS = 4
# Dissociation or confusion still present the next day is no longer the expected effect.
NEXT_DAY_HOURS = 16
# Every expected effect should be gone a day after the infusion, even a severe one.
GONE_BY_HOURS = 24

RULES: tuple[Rule, ...] = (
    # Emergency: call 911.
    Rule(
        "chest_pain",
        Level.EMERGENCY,
        N_("Chest pain or pressure needs help right away."),
        symptoms=("chest_pain",),
    ),
    Rule(
        "trouble_breathing",
        Level.EMERGENCY,
        N_("Trouble breathing needs help right away."),
        symptoms=("trouble_breathing",),
    ),
    Rule(
        "swelling",
        Level.EMERGENCY,
        N_("Swelling of your face, lips, tongue or throat can block your breathing."),
        symptoms=("swelling",),
    ),
    Rule(
        "fainting",
        Level.EMERGENCY,
        N_("Fainting, or being very hard to keep awake, needs help right away."),
        symptoms=("fainting",),
    ),
    Rule(
        "bp_crisis_with_symptoms",
        Level.EMERGENCY,
        N_(
            "Very high blood pressure with a change in your vision or thinking needs help"
            " right away."
        ),
        symptoms=("blurred_vision", "confusion_hallucinations"),
        vitals_at_least=BP_CRISIS,
    ),
    # Crisis: 988 now, and the clinic is flagged as urgent.
    Rule(
        "suicidal_thoughts",
        Level.CRISIS,
        # The crisis level's own words and the crisis line's options say it all.
        "",
        symptoms=("suicidal_thoughts",),
    ),
    # Call the clinic.
    Rule(
        "bp_crisis",
        Level.CALL_CLINIC,
        N_(
            "Sit quietly for 5 minutes, then measure again. If it is still 180/120 or higher,"
            " call the clinic now. Call 911 if you have chest pain, shortness of breath, back"
            " pain, numbness, a change in vision or trouble speaking."
        ),
        vitals_at_least=BP_CRISIS,
        unless=("bp_crisis_with_symptoms",),
    ),
    Rule(
        "bp_high",
        Level.CALL_CLINIC,
        N_("Blood pressure should settle a few hours after an infusion. Tell them your reading."),
        vitals_at_least=(("systolic", 160), ("diastolic", 100)),
        min_hours=SETTLED_HOURS,
        # One blood pressure reason is enough: crisis level has its own advice.
        unless=("bp_crisis",),
    ),
    Rule(
        "heart_rate_high",
        Level.CALL_CLINIC,
        N_("Your heart should slow down a few hours after an infusion. Sit and rest."),
        vitals_at_least=(("heart_rate", 120),),
        min_hours=SETTLED_HOURS,
    ),
    Rule(
        "cannot_keep_fluids",
        Level.CALL_CLINIC,
        N_("Take small sips of water while you wait."),
        symptoms=("cannot_keep_fluids",),
    ),
    Rule(
        "rash_itching",
        Level.CALL_CLINIC,
        N_("If your face, lips or throat swell or you have trouble breathing, call 911."),
        symptoms=("rash_itching",),
    ),
    Rule(
        "painful_urination",
        Level.CALL_CLINIC,
        N_("Ketamine can irritate the bladder, mostly after many infusions."),
        symptoms=("painful_urination",),
    ),
    Rule(
        "confusion_next_day",
        Level.CALL_CLINIC,
        N_("Confusion, or seeing or hearing things, should be gone by now."),
        symptoms=("confusion_hallucinations",),
        min_hours=NEXT_DAY_HOURS,
    ),
    Rule(
        "dissociation_next_day",
        Level.CALL_CLINIC,
        N_("Feeling detached or unreal should be gone by now."),
        symptoms=("dissociation",),
        min_hours=NEXT_DAY_HOURS,
    ),
    Rule(
        "low_mood_severe",
        Level.CALL_CLINIC,
        N_("If you think about hurting yourself, call or text 988."),
        symptoms=("low_mood",),
        min_severity=Severity.SEVERE,
    ),
    Rule(
        "severe_effect_next_day",
        Level.CALL_CLINIC,
        N_("A side effect this strong should be gone by now."),
        symptoms=tuple(symptom.code for symptom in GRADED),
        min_severity=Severity.SEVERE,
        min_hours=GONE_BY_HOURS,
    ),
)

RULES_BY_CODE = {rule.code: rule for rule in RULES}


def evaluate(
    rules: Sequence[Rule], answers: CheckInAnswers, hours_since_infusion: float | None
) -> TriageResult:
    """Apply a table of rules to one check-in."""
    holds = {rule.code: rule.conditions_hold(answers, hours_since_infusion) for rule in rules}
    matched = [
        (index, rule)
        for index, rule in enumerate(rules)
        if holds[rule.code] and not any(holds.get(code, False) for code in rule.unless)
    ]
    # Most urgent first; the table's own order breaks ties.
    matched.sort(key=lambda item: (-item[1].level.rank, item[0]))
    if not matched:
        return TriageResult(Level.EXPECTED, ())
    return TriageResult(matched[0][1].level, tuple(rule.code for _, rule in matched))


@dataclass(frozen=True)
class Triggers:
    """The answers that made rules match: symptom codes and vital sign names, in form order."""

    symptoms: tuple[str, ...]
    vitals: tuple[str, ...]


def triggers(codes: Sequence[str], answers: CheckInAnswers) -> Triggers:
    """Which of the patient's answers made these rules match ("Because you said: ...")."""
    symptoms: list[str] = []
    vitals: list[str] = []
    for code in codes:
        rule = RULES_BY_CODE.get(code)
        if rule is None:
            continue
        for symptom in rule.symptoms:
            if answers.severity(symptom) >= rule.min_severity and symptom not in symptoms:
                symptoms.append(symptom)
        for vital, threshold in rule.vitals_at_least:
            reading = getattr(answers, vital)
            if reading is not None and reading >= threshold and vital not in vitals:
                vitals.append(vital)
    return Triggers(tuple(symptoms), tuple(v for v in VITALS if v in vitals))


def triage(answers: CheckInAnswers, hours_since_infusion: float | None) -> TriageResult:
    """Triage one check-in with the built-in rules."""
    return evaluate(RULES, answers, hours_since_infusion)


def rules_for_browser() -> list[dict[str, Any]]:
    """The rule table as JSON-serializable dicts for static/js/triage.js."""
    return [
        {
            "code": rule.code,
            "level": rule.level.value,
            "advice": rule.advice,
            "conditions": rule.conditions(),
        }
        for rule in RULES
    ]
