"""A patient's questionnaire totals and classifications as downloads: CSV, and FHIR R4
Observations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from flask.typing import ResponseReturnValue
from flask_login import login_required

from ..models import Patient
from ..questionnaires.outcomes import outcome
from ..questionnaires.service import history
from ..questionnaires.thresholds import instruments_for_clinic
from .access import current_clinic, get_for_clinic
from .blueprint import bp
from .outcome_exports import ScoredAnswer, observations_json, scored_answers, scored_answers_csv
from .streaming import PagedReader, streamed_download


def _scored(patient: Patient) -> list[ScoredAnswer]:
    """Every stored answer of the patient, oldest first, classified against the baseline."""
    responses = history(patient)
    known = instruments_for_clinic(patient.clinic_id)
    classified = {}
    for instrument in known.values():
        mine = [r for r in responses if r.instrument_id == instrument.id]
        found = outcome(patient, instrument, mine)
        classified.update({r.id: c for r, c in zip(mine, found.classifications, strict=True)})
    return scored_answers(responses, known, classified)


@bp.get("/patients/<int:patient_id>/questionnaires.csv")
@login_required
def questionnaires_csv(patient_id: int) -> ResponseReturnValue:
    patient = get_for_clinic(Patient, patient_id)
    tz, answers = current_clinic().tz, _scored(patient)

    def body(_reader: PagedReader) -> Iterator[str]:
        return scored_answers_csv(patient_id, answers, tz)

    return streamed_download(
        body,
        filename=f"patient-{patient_id}-questionnaires.csv",
        mimetype="text/csv; charset=utf-8",
        action="export.questionnaires_csv",
        clinic_id=patient.clinic_id,
        patient_id=patient_id,
    )


@bp.get("/patients/<int:patient_id>/questionnaires.fhir.json")
@login_required
def questionnaires_fhir(patient_id: int) -> ResponseReturnValue:
    patient = get_for_clinic(Patient, patient_id)
    tz, answers, now = current_clinic().tz, _scored(patient), datetime.now(UTC)

    def body(_reader: PagedReader) -> Iterator[str]:
        return observations_json(patient_id, answers, tz, now)

    return streamed_download(
        body,
        filename=f"patient-{patient_id}-questionnaires.fhir.json",
        mimetype="application/fhir+json",
        action="export.questionnaires_fhir",
        clinic_id=patient.clinic_id,
        patient_id=patient_id,
    )
