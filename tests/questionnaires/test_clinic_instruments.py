"""A clinic's own questionnaire (AFTERCARE_INSTRUMENTS_DIR): offered, scored, its alerts raised.

Its alert rules are data, like the built-in ones: the form carries them for the phone to
evaluate offline, and the result shows the help of the alerts the clinic got.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import delete, select

from aftercare.care.instruments import InstrumentError
from aftercare.care.questionnaire_alerts import rules_for_browser
from aftercare.extensions import db as _db
from aftercare.models import Alert
from tests.care.questionnaire_alert_cases import CLINIC_EXAMPLE, INSTRUMENTS
from tests.care.test_instruments import clinic_definition
from tests.conftest import make_app
from tests.questionnaires.test_answering import answer


def clinic_folder(tmp_path: Path, definition: dict) -> Path:  # type: ignore[type-arg]
    folder = tmp_path / "clinic-instruments"
    folder.mkdir()
    (folder / f"{definition['id']}.json").write_text(json.dumps(definition), encoding="utf-8")
    return folder


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    app = make_app(
        tmp_path, database_url, INSTRUMENTS_DIR=str(clinic_folder(tmp_path, CLINIC_EXAMPLE))
    )
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


def test_the_form_carries_the_clinics_alert_rules_for_the_phone(phone):
    page = phone.client.get("/questionnaires/mood3").text

    rules = re.search(r'<script type="application/json" id="alert-rules">(.*?)</script>', page)
    assert rules is not None
    assert json.loads(html.unescape(rules.group(1))) == rules_for_browser(
        INSTRUMENTS["mood3"].scoring.alerts
    )
    # Each item with rules has a place for its help right below it, and each help is there.
    assert 'id="help-after-1"' in page and 'id="help-after-3"' in page
    assert 'id="help-after-2"' in page
    assert '<template id="help-crisis">' in page and '<template id="help-call_clinic">' in page


def test_every_alert_is_raised_to_the_clinic_and_the_most_urgent_help_shown(phone, db):
    response = answer(phone, "mood3", {1: 2, 2: 0, 3: 2})

    alerts = db.session.scalars(select(Alert).order_by(Alert.id)).all()
    assert [(alert.level, alert.reasons) for alert in alerts] == [
        ("emergency", ["self_harm_plans"]),
        ("crisis", ["self_harm_thoughts"]),
        ("call_clinic", ["low_mood"]),
    ]
    # The emergency's rule shows the patient the crisis line, not 911 alone.
    result = phone.client.get(response.headers["Location"]).text
    assert "Call or text 988 now" in result
    assert 'href="tel:988"' in result and 'href="sms:988"' in result and 'href="tel:911"' in result
    assert "your care team has been told" in result


def test_a_call_the_clinic_alert_shows_the_clinics_number(phone, db):
    response = answer(phone, "mood3", {1: 1, 2: 0, 3: 0})

    result = phone.client.get(response.headers["Location"]).text
    assert "Call the clinic" in result and 'href="tel:5550100"' in result
    assert "Call or text 988 now" not in result


def test_the_result_shows_the_help_of_the_alerts_stored_not_a_fresh_reading(phone, db):
    response = answer(phone, "mood3", {1: 0, 2: 0, 3: 1})
    db.session.execute(delete(Alert))
    db.session.commit()

    # With no alert on record, the page must not say the care team was told.
    result = phone.client.get(response.headers["Location"]).text
    assert "Call or text 988 now" not in result and "has been told" not in result
    assert "Thank you" in result


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
