"""Each clinic's choice where published thresholds disagree (docs/measurement.md), and the
instruments as that clinic's patients are classified with them."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from ..care.instruments import Instrument
from ..care.measurement import meaningful_choices, with_meaningful_change
from ..extensions import db
from ..models import ThresholdChoice, utcnow
from .service import instruments


def chosen(clinic_id: int) -> dict[str, int]:
    """The clinic's chosen meaningful change, by instrument id (none: each definition's own)."""
    return dict(
        db.session.execute(
            select(ThresholdChoice.instrument_id, ThresholdChoice.meaningful).where(
                ThresholdChoice.clinic_id == clinic_id
            )
        ).all()
    )


def instruments_for_clinic(clinic_id: int) -> dict[str, Instrument]:
    """Every instrument the app offers, with the clinic's choices applied: what classifies its
    patients' answers."""
    choices = chosen(clinic_id)
    return {
        key: with_meaningful_change(instrument, choices.get(key))
        for key, instrument in instruments().items()
    }


def choose(
    clinic_id: int, clinician_id: int, wanted: Mapping[str, int]
) -> dict[str, tuple[int, int]]:
    """Store the clinic's choices; returns what changed, {instrument id: (before, after)}.

    Raises ValueError for an instrument without choices or a value it does not offer.
    """
    known = instruments()
    before = chosen(clinic_id)
    changed: dict[str, tuple[int, int]] = {}
    for key, points in wanted.items():
        options = meaningful_choices(known[key]) if key in known else ()
        if points not in {option.value for option in options}:
            raise ValueError(f"{points!r} is not a published choice for {key}")
        was = before.get(key, options[0].value)
        if points == was:
            continue
        row = db.session.scalar(
            select(ThresholdChoice).where(
                ThresholdChoice.clinic_id == clinic_id, ThresholdChoice.instrument_id == key
            )
        )
        if row is None:
            row = ThresholdChoice(clinic_id=clinic_id, instrument_id=key, meaningful=points)
            db.session.add(row)
        row.meaningful, row.chosen_by_id, row.chosen_at = points, clinician_id, utcnow()
        changed[key] = (was, points)
    return changed
