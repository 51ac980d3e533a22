"""A clinic's own questionnaire (AFTERCARE_INSTRUMENTS_DIR) is checked when the app starts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aftercare.care.instruments import InstrumentError
from tests.care.test_instruments import clinic_definition
from tests.conftest import make_app


def clinic_folder(tmp_path: Path, definition: dict) -> Path:  # type: ignore[type-arg]
    folder = tmp_path / "clinic-instruments"
    folder.mkdir()
    (folder / f"{definition['id']}.json").write_text(json.dumps(definition), encoding="utf-8")
    return folder


def test_a_malformed_clinic_instrument_stops_start_up_naming_the_file_and_field(
    tmp_path, database_url
):
    broken = clinic_definition()
    broken["scoring"]["alerts"][0]["item"] = 7
    folder = clinic_folder(tmp_path, broken)

    with pytest.raises(InstrumentError) as refused:
        make_app(tmp_path, database_url, INSTRUMENTS_DIR=str(folder))

    assert str(refused.value) == (
        f"{folder / 'mood3.json'}: scoring.alerts[0].item: there is no item 7"
    )


def test_a_clinic_instrument_may_not_replace_a_builtin_one(tmp_path, database_url):
    phq9 = {**clinic_definition(), "id": "phq9"}
    folder = clinic_folder(tmp_path, phq9)

    with pytest.raises(InstrumentError, match="phq9 is already a built-in instrument"):
        make_app(tmp_path, database_url, INSTRUMENTS_DIR=str(folder))
