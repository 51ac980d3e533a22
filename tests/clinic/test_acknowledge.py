"""Acknowledging an alert over real HTTP: an emergency or a crisis needs a note of what was done,
a refused note is shown again with the reason, and the clinician is told what happened."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from aftercare.models import Alert, AuditEvent
from tests.clinic.alert_stories import alert_waiting
from tests.clinic.http_browser import HttpBrowser
from tests.conftest import add_patient

NOTE_NEEDED = "Write what was done"


@pytest.fixture
def nurse(waitress, clinician) -> HttpBrowser:
    browser = HttpBrowser(waitress.url)
    assert browser.sign_in(clinician.email).status_code == 302
    return browser


def acknowledge(browser: HttpBrowser, alert: Alert, note: str | None, back: str = "dashboard"):  # noqa: ANN201
    data = {"back": back} | ({} if note is None else {"note": note})
    return browser.submit("/clinic/", data, action=f"/clinic/alerts/{alert.id}/acknowledge")


def acknowledgements(db) -> list[AuditEvent]:  # noqa: ANN001
    db.session.rollback()  # what the server committed
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "alert.acknowledge")
    ).all()


def test_an_urgent_alert_is_not_acknowledged_without_a_note(nurse, db, clinic):
    patient = add_patient(db, clinic, "Ivan R.")
    for level in ("emergency", "crisis"):
        alert = alert_waiting(patient, level, 5)
        for note in (None, "", "   \n "):
            response = acknowledge(nurse, alert, note)
            assert response.status_code == 422, (level, note)
            assert NOTE_NEEDED in response.text
            assert "<h1>Acknowledge Ivan R.'s alert</h1>" in response.text
            assert acknowledgements(db) == []
            db.session.refresh(alert)
            assert alert.acknowledged_at is None


def test_a_note_too_long_is_shown_again_whole(nurse, db, clinic):
    alert = alert_waiting(add_patient(db, clinic, "Ivan R."), "crisis", 5)
    note = "Called the patient, " + "x" * 600
    response = acknowledge(nurse, alert, note, back="patient")
    assert response.status_code == 422
    assert note in response.text  # nothing typed is lost
    assert '<input type="hidden" name="back" value="patient">' in response.text
    db.session.refresh(alert)
    assert alert.acknowledged_at is None


def test_an_urgent_alert_with_a_note_is_acknowledged_and_the_nurse_is_told(
    nurse, db, clinic, clinician
):
    alert = alert_waiting(add_patient(db, clinic, "Ivan R."), "emergency", 5)
    response = acknowledge(nurse, alert, "  Called 911, ambulance on the way. ")
    assert response.status_code == 303
    page = nurse.get("/clinic/").text
    assert (
        "Emergency alert for Ivan R. acknowledged. Note: Called 911, ambulance on the way." in page
    )
    assert f"/clinic/alerts/{alert.id}/acknowledge" not in page
    [event] = acknowledgements(db)
    assert event.detail == {"alert_id": alert.id}
    db.session.refresh(alert)
    assert alert.acknowledgement_note == "Called 911, ambulance on the way."
    assert alert.acknowledged_by_id == clinician.id


def test_a_call_the_clinic_alert_keeps_a_one_click_acknowledgement(nurse, db, clinic):
    alert = alert_waiting(add_patient(db, clinic, "Ivan R."), "call_clinic", 5)
    response = acknowledge(nurse, alert, None, back="patient")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/clinic/patients/{alert.patient_id}")
    page = nurse.get(f"/clinic/patients/{alert.patient_id}").text
    assert "Call-the-clinic alert for Ivan R. acknowledged." in page
    assert len(acknowledgements(db)) == 1


def test_an_alert_a_colleague_acknowledged_first_says_so(nurse, db, clinic):
    alert = alert_waiting(add_patient(db, clinic, "Ivan R."), "crisis", 5, acknowledged=True)
    response = acknowledge(nurse, alert, "Called too")
    assert response.status_code == 303
    assert "Crisis alert for Ivan R. had already been acknowledged." in nurse.get("/clinic/").text
    assert acknowledgements(db) == []


def test_the_dashboard_asks_for_a_note_only_where_one_is_needed(nurse, db, clinic):
    patient = add_patient(db, clinic, "Ivan R.")
    alert_waiting(patient, "crisis", 5)
    alert_waiting(patient, "call_clinic", 5)
    page = nurse.get("/clinic/").text
    assert len(re.findall(r'name="note" maxlength="500" required>', page)) == 1
    assert "Note of what was done (required)" in page and "Note (optional)" in page
