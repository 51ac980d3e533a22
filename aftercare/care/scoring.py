"""Questionnaire scoring: totals, bands, cluster scores, alerts and change from baseline.

Everything here reads the instrument's definition (aftercare/care/instruments/), so a clinic's
own licensed instrument scores with no new code. A missing answer is never scored as 0: a total
built on a guess would look like an improvement that never happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from aftercare.care.instruments import Direction, Instrument
from aftercare.care.questionnaire_alerts import raised
from aftercare.care.translation import N_, Translate, untranslated
from aftercare.care.triage import Level


class Alert(NamedTuple):
    """An answer that the care team must hear about, and how urgently."""

    level: Level
    reason: str


class InvalidAnswer(ValueError):
    """An answer that is not one of the instrument's own answers."""

    def __init__(self, message: str, item: Any) -> None:
        super().__init__(message)
        self.item = item


class IncompleteAnswers(ValueError):
    """Some scored questions have no answer, so there is no total to give."""

    def __init__(self, missing: Sequence[int], alerts: tuple[Alert, ...] = ()) -> None:
        super().__init__(please_answer(missing))
        self.missing = tuple(missing)
        # The answers given may already need a crisis response; the caller must not lose it.
        self.alerts = alerts


@dataclass(frozen=True)
class Score:
    """The result of one completed questionnaire."""

    instrument: str
    version: str
    total: int
    band: str | None
    clusters: Mapping[str, int]
    provisional_diagnosis: bool | None
    alerts: tuple[Alert, ...]


@dataclass(frozen=True)
class Change:
    """How far a total has moved from the patient's baseline, and whether that counts."""

    delta: int
    reliable: bool | None
    meaningful: bool | None
    improved: bool
    worsened: bool


_ANSWER_ONE = N_("Please answer question %(number)s.")
_ANSWER_SEVERAL = N_("Please answer questions %(numbers)s and %(last)s.")


def please_answer(missing: Sequence[int], translate: Translate = untranslated) -> str:
    """Ask, in plain words and the patient's language, for the questions still unanswered."""
    numbers = [str(number) for number in sorted(missing)]
    if len(numbers) == 1:
        return translate(_ANSWER_ONE) % {"number": numbers[0]}
    return translate(_ANSWER_SEVERAL) % {"numbers": ", ".join(numbers[:-1]), "last": numbers[-1]}


def alerts(instrument: Instrument, answers: Mapping[int, int | None]) -> tuple[Alert, ...]:
    """Alerts raised by the answers given so far, most urgent first; unanswered items raise none."""
    given = _checked(instrument, answers)
    return tuple(
        Alert(rule.level, rule.reason) for rule in raised(instrument.scoring.alerts, given)
    )


def score(instrument: Instrument, answers: Mapping[int, int | None]) -> Score:
    """Score a completed questionnaire; refuse one with any scored item unanswered."""
    given = _checked(instrument, answers)
    missing = [number for number in instrument.item_numbers if number not in given]
    if missing:
        raise IncompleteAnswers(missing, alerts(instrument, given))
    total = sum(given.values())
    scoring = instrument.scoring
    return Score(
        instrument=instrument.id,
        version=instrument.version,
        total=total,
        band=next((band.label for band in scoring.bands if band.min <= total <= band.max), None),
        clusters={
            cluster.name: sum(given[number] for number in cluster.items)
            for cluster in scoring.clusters
        },
        provisional_diagnosis=_provisional_diagnosis(instrument, given),
        alerts=alerts(instrument, given),
    )


def change(instrument: Instrument, baseline_total: int, current_total: int) -> Change:
    """Compare a total with the patient's baseline total on the same instrument."""
    for name, total in (("baseline", baseline_total), ("current", current_total)):
        low, high = instrument.scoring.total_min, instrument.scoring.total_max
        if isinstance(total, bool) or not isinstance(total, int) or not low <= total <= high:
            raise ValueError(
                f"The {name} {instrument.short_title} total must be {low} to {high}, not {total!r}."
            )
    delta = current_total - baseline_total
    worse = delta > 0 if instrument.scoring.direction is Direction.HIGHER_IS_WORSE else delta < 0
    thresholds = instrument.scoring.change
    # Without published thresholds there is no honest way to call a change reliable.
    return Change(
        delta=delta,
        reliable=None if thresholds is None else abs(delta) >= thresholds.reliable,
        meaningful=(
            None
            if thresholds is None or thresholds.meaningful is None
            else abs(delta) >= thresholds.meaningful
        ),
        improved=delta != 0 and not worse,
        worsened=worse,
    )


def _checked(instrument: Instrument, answers: Mapping[int, int | None]) -> dict[int, int]:
    """The answers given, each checked against the instrument; None means unanswered."""
    numbers = set(instrument.item_numbers)
    low, high = instrument.min_answer, instrument.max_answer
    given: dict[int, int] = {}
    for number, value in answers.items():
        if number not in numbers:
            raise InvalidAnswer(f"The {instrument.short_title} has no question {number!r}.", number)
        if value is None:
            continue
        # bool is an int in Python; True must not be scored as 1.
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidAnswer(
                f"The answer to question {number} must be {low} to {high}, not {value!r}.", number
            )
        given[number] = value
    return given


def _provisional_diagnosis(instrument: Instrument, given: Mapping[int, int]) -> bool | None:
    """Whether every cluster has enough items rated at the threshold or above."""
    rule = instrument.scoring.diagnosis_rule
    if rule is None:
        return None
    clusters = {cluster.name: cluster.items for cluster in instrument.scoring.clusters}
    return all(
        sum(given[number] >= rule.threshold for number in clusters[name]) >= minimum
        for name, minimum in rule.minimum_per_cluster.items()
    )
