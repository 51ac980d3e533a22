"""Questionnaire totals with their classification against the baseline, for export: as CSV
rows and as FHIR R4 Observations (LOINC codes where a published one exists)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..care.instruments import Instrument
from ..care.measurement import Classification, Kind
from .export_formats import PATIENT_ID_SYSTEM, csv_lines

# LOINC codes of the totals: PHQ-9 total score 44261-6, GAD-7 total score 70274-6. The PCL-5
# total has no LOINC code the app relies on; it is coded in the app's own system instead.
LOINC = "http://loinc.org"
LOINC_TOTALS = {"phq9": "44261-6", "gad7": "70274-6"}
INSTRUMENT_SYSTEM = "urn:aftercare:codesystem:questionnaire-total"
CLASSIFICATION_SYSTEM = "urn:aftercare:codesystem:change-from-baseline"
RESPONSE_ID_SYSTEM = "urn:aftercare:questionnaire-response-id"
_NAMESPACE = uuid.UUID("9b1e4f4e-5c55-4c1e-9d3e-1a0f2a7c6b21")

CSV_HEADER = (
    "Patient ID",
    "Questionnaire",
    "Received",
    "Total",
    "Band",
    "Baseline",
    "Change from baseline",
    "Classification",
    "Response",
    "Remission or recovery",
)


@dataclass(frozen=True)
class ScoredAnswer:
    """One stored answer, with its classification against the patient's baseline."""

    response_id: int
    instrument: Instrument
    received_at: datetime
    total: int
    band: str | None
    found: Classification


def scored_answers_csv(
    patient_id: int, answers: Iterable[ScoredAnswer], tz: ZoneInfo
) -> Iterator[str]:
    """The CSV file of a patient's scored answers, a line at a time."""
    return csv_lines(
        CSV_HEADER,
        (
            (
                patient_id,
                answer.instrument.short_title,
                answer.received_at.astimezone(tz).isoformat(timespec="minutes"),
                answer.total,
                answer.band or "",
                answer.found.baseline,
                answer.found.delta,
                answer.found.kind.value,
                answer.found.response,
                answer.found.remission,
            )
            for answer in answers
        ),
    )


def _code(instrument: Instrument) -> dict[str, Any]:
    code = LOINC_TOTALS.get(instrument.id)
    coding = (
        {"system": LOINC, "code": code, "display": f"{instrument.short_title} total score"}
        if code
        else {
            "system": INSTRUMENT_SYSTEM,
            "code": instrument.id,
            "display": f"{instrument.short_title} total score",
        }
    )
    return {"coding": [coding], "text": f"{instrument.short_title} total score"}


def observation(patient_id: int, answer: ScoredAnswer, tz: ZoneInfo) -> dict[str, Any]:
    """One total as a FHIR R4 Observation, with its classification as an interpretation."""
    found = answer.found
    interpretation: list[dict[str, Any]] = [
        {"coding": [{"system": CLASSIFICATION_SYSTEM, "code": found.kind.value}]}
    ]
    for flag, value in (("response", found.response), ("remission", found.remission)):
        if value:
            interpretation.append({"coding": [{"system": CLASSIFICATION_SYSTEM, "code": flag}]})
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"q{answer.response_id}",
        "identifier": [{"system": RESPONSE_ID_SYSTEM, "value": str(answer.response_id)}],
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "survey",
                    }
                ]
            }
        ],
        "code": _code(answer.instrument),
        "subject": {"identifier": {"system": PATIENT_ID_SYSTEM, "value": str(patient_id)}},
        "effectiveDateTime": answer.received_at.astimezone(tz).isoformat(),
        "valueInteger": answer.total,
        "interpretation": interpretation,
    }
    if found.kind is not Kind.BASELINE and found.baseline is not None:
        resource["note"] = [{"text": f"Baseline {found.baseline}, change {found.delta:+d}"}]
    return resource


def observations_json(
    patient_id: int, answers: Iterable[ScoredAnswer], tz: ZoneInfo, now: datetime
) -> Iterator[str]:
    """A FHIR R4 collection Bundle of Observations, as JSON text a resource at a time."""
    yield (
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "timestamp": now.astimezone(tz).isoformat(),
            }
        )[:-1]
        + ', "entry": [\n'
    )
    separator = ""
    for answer in answers:
        resource = observation(patient_id, answer, tz)
        full_url = f"urn:uuid:{uuid.uuid5(_NAMESPACE, resource['id'])}"
        yield separator + json.dumps({"fullUrl": full_url, "resource": resource})
        separator = ",\n"
    yield "\n]}\n"


def scored_answers(
    responses: Sequence[Any],
    instruments: Mapping[str, Instrument],
    classified: Mapping[int, Classification],
) -> list[ScoredAnswer]:
    """The responses (oldest first) with their classifications, by response id."""
    return [
        ScoredAnswer(
            r.id, instruments[r.instrument_id], r.received_at, r.total, r.band, classified[r.id]
        )
        for r in responses
        if r.instrument_id in instruments and r.id in classified
    ]
