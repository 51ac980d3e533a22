"""Measurement-based care: each questionnaire total classified against the patient's baseline.

Every threshold is data in the instrument's definition (scoring.change, .response, .remission
and .returning, each with its source; docs/measurement.md explains them), so nothing here names
an instrument. The baseline is the patient's last answer before their first infusion: a total
after treatment began cannot show how far treatment has moved it. Pure: no Flask, no database,
no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from aftercare.care.instruments import Alternative, Direction, Instrument


class Kind(StrEnum):
    """What a total says against the patient's baseline."""

    BASELINE = "baseline"  # answered before the first infusion: the starting point
    NO_BASELINE = "no_baseline"  # nothing before the first infusion to compare with
    MISSED = "missed"  # the questionnaire was due and not answered
    NO_RELIABLE_CHANGE = "no_reliable_change"
    RELIABLE_IMPROVEMENT = "reliable_improvement"
    MEANINGFUL_IMPROVEMENT = "meaningful_improvement"
    RELIABLE_WORSENING = "reliable_worsening"
    MEANINGFUL_WORSENING = "meaningful_worsening"
    CHANGE_NOT_RATED = "change_not_rated"  # the instrument has no published change thresholds


IMPROVED = (Kind.RELIABLE_IMPROVEMENT, Kind.MEANINGFUL_IMPROVEMENT)
WORSENED = (Kind.RELIABLE_WORSENING, Kind.MEANINGFUL_WORSENING)


@dataclass(frozen=True)
class Answer:
    """One due questionnaire: when, and its total (None: it was missed)."""

    at: datetime
    total: int | None


@dataclass(frozen=True)
class Classification:
    """One total against the patient's baseline."""

    kind: Kind
    total: int | None
    baseline: int | None
    delta: int | None  # total minus baseline; negative is lower
    response: bool | None  # None: the instrument defines none, or there is no baseline to halve
    remission: bool | None  # None: the instrument defines none


def meaningful_choices(instrument: Instrument) -> tuple[Alternative, ...]:
    """The published values of clinically meaningful change a clinic may choose between, the
    definition's own first; empty where the sources agree (nothing to choose)."""
    change = instrument.scoring.change
    if change is None or change.meaningful is None or not change.meaningful_alternatives:
        return ()
    return (Alternative(change.meaningful, change.source), *change.meaningful_alternatives)


def with_meaningful_change(instrument: Instrument, points: int | None) -> Instrument:
    """The instrument as a clinic uses it: its meaningful change replaced by the clinic's
    choice when that is one of the published values its definition offers; otherwise as
    defined (a choice the definition no longer offers falls back to its own value)."""
    change = instrument.scoring.change
    offered = {choice.value for choice in meaningful_choices(instrument)}
    if change is None or points is None or points == change.meaningful or points not in offered:
        return instrument
    scoring = replace(instrument.scoring, change=replace(change, meaningful=points))
    return replace(instrument, scoring=scoring)


def classify(instrument: Instrument, baseline: int | None, total: int) -> Classification:
    """Classify one total against the baseline total (None when there is none)."""
    scoring = instrument.scoring
    remission = None if scoring.remission is None else total < scoring.remission.below
    if baseline is None:
        return Classification(Kind.NO_BASELINE, total, None, None, None, remission)
    delta = total - baseline
    worse = delta > 0 if scoring.direction is Direction.HIGHER_IS_WORSE else delta < 0
    response = None
    if scoring.response is not None and baseline > 0:
        # Integer arithmetic, so that exactly half counts as a 50 % fall.
        kept = 100 - scoring.response.reduction_percent
        response = total * 100 <= baseline * kept
    return Classification(
        _kind(instrument, abs(delta), worse), total, baseline, delta, response, remission
    )


def _kind(instrument: Instrument, size: int, worse: bool) -> Kind:
    change = instrument.scoring.change
    if change is None:
        return Kind.CHANGE_NOT_RATED
    if change.meaningful is not None and size >= change.meaningful:
        return Kind.MEANINGFUL_WORSENING if worse else Kind.MEANINGFUL_IMPROVEMENT
    if size >= change.reliable:
        return Kind.RELIABLE_WORSENING if worse else Kind.RELIABLE_IMPROVEMENT
    return Kind.NO_RELIABLE_CHANGE


def baseline_of(answers: Sequence[Answer], first_infusion_at: datetime | None) -> int | None:
    """The baseline: the last total answered before the first infusion began.

    Before any infusion the latest answer is the baseline so far.
    """
    before = [
        a
        for a in answers
        if a.total is not None and (first_infusion_at is None or a.at < first_infusion_at)
    ]
    return max(before, key=lambda a: a.at).total if before else None


def classify_series(
    instrument: Instrument, answers: Sequence[Answer], first_infusion_at: datetime | None
) -> list[Classification]:
    """Every due questionnaire of one instrument, in time order, each against the baseline."""
    baseline = baseline_of(answers, first_infusion_at)
    found = []
    for answer in sorted(answers, key=lambda a: a.at):
        if answer.total is None:
            found.append(Classification(Kind.MISSED, None, baseline, None, None, None))
        elif first_infusion_at is None or answer.at < first_infusion_at:
            found.append(Classification(Kind.BASELINE, answer.total, None, None, None, None))
        else:
            found.append(classify(instrument, baseline, answer.total))
    return found


@dataclass(frozen=True)
class Returning:
    """Symptoms returning: the latest total has risen this far above the lowest since the
    series ended."""

    total: int
    lowest: int
    rise: int
    threshold: int


def symptoms_returning(
    instrument: Instrument, answers: Sequence[Answer], series_ended_at: datetime | None
) -> Returning | None:
    """Whether the latest answer, after the initial series, is far enough above the lowest
    answered after the series (before it) to count as symptoms returning; None if not.

    Missed questionnaires count for nothing: they neither lower the lowest nor raise a rise.
    """
    rule = instrument.scoring.returning
    if rule is None or series_ended_at is None:
        return None
    after = sorted(
        (a for a in answers if a.total is not None and a.at >= series_ended_at),
        key=lambda a: a.at,
    )
    if len(after) < 2:
        return None
    latest = after[-1].total
    lowest = min(a.total for a in after[:-1])  # type: ignore[type-var]
    assert latest is not None and lowest is not None
    rise = latest - lowest
    if rise < rule.rise_from_lowest:
        return None
    return Returning(latest, lowest, rise, rule.rise_from_lowest)


def in_words(instrument: Instrument, found: Classification) -> str:
    """The classification for the clinician, in words: "-14 from baseline 42: clinically
    meaningful improvement; response"."""
    if found.kind is Kind.MISSED:
        return "Missed"
    if found.kind is Kind.BASELINE:
        return "Baseline (before the first infusion)"
    parts = []
    if found.kind is Kind.NO_BASELINE:
        parts.append("No baseline before the first infusion")
    else:
        words = {
            Kind.NO_RELIABLE_CHANGE: "no reliable change",
            Kind.RELIABLE_IMPROVEMENT: "reliable improvement",
            Kind.MEANINGFUL_IMPROVEMENT: "clinically meaningful improvement",
            Kind.RELIABLE_WORSENING: "reliable worsening",
            Kind.MEANINGFUL_WORSENING: "clinically meaningful worsening",
            Kind.CHANGE_NOT_RATED: "no published threshold for change",
        }[found.kind]
        parts.append(f"{found.delta:+d} from baseline {found.baseline}: {words}")
    scoring = instrument.scoring
    if found.response and scoring.response:
        parts.append(f"response (a fall of {scoring.response.reduction_percent}% or more)")
    if found.remission and scoring.remission:
        parts.append(f"{scoring.remission.name} (below {scoring.remission.below})")
    return "; ".join(parts)
