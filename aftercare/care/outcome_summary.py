"""A clinic's outcomes across its treatment courses: how many completed the initial series,
their response and remission rates at their latest answer, and the median time from the end of
the series to symptoms returning. Pure: classifications and times in, counts out.

These describe the clinic's own patients, not a trial: no control group, patients who stop
answering drop out of the rates, and the numbers are small.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from aftercare.care.instruments import Instrument
from aftercare.care.measurement import IMPROVED, Classification, Kind

COMPARED = (*IMPROVED, Kind.NO_RELIABLE_CHANGE, Kind.RELIABLE_WORSENING, Kind.MEANINGFUL_WORSENING)


@dataclass(frozen=True)
class PatientOutcome:
    """One patient with a course planned."""

    series_ended_at: datetime | None  # None while the series goes on
    latest: Mapping[str, Classification] = field(default_factory=dict)  # by instrument id
    returning_at: datetime | None = None  # the first review for a booster after the series


@dataclass(frozen=True)
class Rate:
    """`count` of `of` patients."""

    count: int
    of: int

    @property
    def percent(self) -> int | None:
        return None if self.of == 0 else round(100 * self.count / self.of)


@dataclass(frozen=True)
class ClinicOutcomes:
    with_course: int
    completed: int
    meaningful_improvement: dict[str, Rate]
    response: dict[str, Rate]
    remission: dict[str, Rate]
    returned: int
    median_days_to_returning: float | None


def summarize(
    outcomes: Sequence[PatientOutcome], instruments: Mapping[str, Instrument]
) -> ClinicOutcomes:
    """Rates among the patients who completed the series and have a baseline to compare with."""
    completed = [o for o in outcomes if o.series_ended_at is not None]
    meaningful: dict[str, Rate] = {}
    response: dict[str, Rate] = {}
    remission: dict[str, Rate] = {}
    for instrument_id, instrument in instruments.items():
        latest = [
            o.latest[instrument_id]
            for o in completed
            if instrument_id in o.latest and o.latest[instrument_id].kind in COMPARED
        ]
        change = instrument.scoring.change
        if change is not None and change.meaningful is not None:
            meaningful[instrument_id] = Rate(
                sum(c.kind is Kind.MEANINGFUL_IMPROVEMENT for c in latest), len(latest)
            )
        rated = [c for c in latest if c.response is not None]
        if rated:
            response[instrument_id] = Rate(sum(bool(c.response) for c in rated), len(rated))
        rated = [c for c in latest if c.remission is not None]
        if rated:
            remission[instrument_id] = Rate(sum(bool(c.remission) for c in rated), len(rated))
    days = [
        (o.returning_at - o.series_ended_at).total_seconds() / 86400
        for o in completed
        if o.returning_at is not None and o.series_ended_at is not None
    ]
    return ClinicOutcomes(
        with_course=len(outcomes),
        completed=len(completed),
        meaningful_improvement=meaningful,
        response=response,
        remission=remission,
        returned=len(days),
        median_days_to_returning=median(days) if days else None,
    )
