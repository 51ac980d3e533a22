"""A patient's questionnaire totals against their baseline, and symptoms returning after the
series: the rules of care/measurement.py applied to the patient's stored answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..care.instruments import Instrument
from ..care.measurement import (
    Answer,
    Classification,
    Returning,
    baseline_of,
    classify_series,
    symptoms_returning,
)
from ..courses import series_end_of
from ..models import Patient, QuestionnaireResponse


@dataclass(frozen=True)
class Outcome:
    """One instrument's totals for one patient, each classified against the baseline."""

    instrument: Instrument
    baseline: int | None
    classifications: list[Classification]  # oldest first, one per answer

    @property
    def latest(self) -> Classification | None:
        return self.classifications[-1] if self.classifications else None


def answers(responses: Sequence[QuestionnaireResponse]) -> list[Answer]:
    return [Answer(response.received_at, response.total) for response in responses]


def outcome(
    patient: Patient, instrument: Instrument, responses: Sequence[QuestionnaireResponse]
) -> Outcome:
    """The patient's answers to `instrument` (of `responses`, any instrument, oldest first)."""
    mine = answers([r for r in responses if r.instrument_id == instrument.id])
    first = min((i.started_at for i in patient.infusions), default=None)
    return Outcome(instrument, baseline_of(mine, first), classify_series(instrument, mine, first))


def returning(
    patient: Patient, instrument: Instrument, responses: Sequence[QuestionnaireResponse]
) -> Returning | None:
    """Whether the patient's latest answer to `instrument` shows symptoms returning."""
    mine = answers([r for r in responses if r.instrument_id == instrument.id])
    return symptoms_returning(instrument, mine, series_end_of(patient))
