"""What every request from a patient's phone starts with (aftercare/patient/hooks.py): the phone
and its patient, noted as seen, and the patient's language; and the crisis bar on every page."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from aftercare.models import Device, utcnow
from aftercare.patient_access import DEVICE_COOKIE, current_device, current_patient
from tests.conftest import PatientPhone, csrf_from, enroll, enrollment_token, statements

ENGLISH_BROWSER = "en-US,en;q=0.9"


def last_seen(db, hours_ago: float) -> Device:  # noqa: ANN001
    device = db.session.scalar(select(Device))
    device.last_seen_at = utcnow() - timedelta(hours=hours_ago)
    db.session.commit()
    return device


def test_finding_which_phone_is_asking_writes_nothing(app: Flask, db, phone):
    device = last_seen(db, hours_ago=2)
    before, device_id, patient_id = device.last_seen_at, device.id, phone.patient.id
    cookie = phone.client.get_cookie(DEVICE_COOKIE).value
    with (
        app.app_context(),
        app.test_request_context("/today", headers={"Cookie": f"{DEVICE_COOKIE}={cookie}"}),
        statements(db.engine) as seen,
    ):
        assert current_device().id == device_id
        assert current_patient().id == patient_id
        assert current_device() is current_device()  # read once for the request
    assert seen == ["SELECT"]
    db.session.refresh(device)
    assert device.last_seen_at == before


def test_a_patient_page_notes_the_phone_as_seen_at_most_hourly(db, phone):
    device = last_seen(db, hours_ago=2)
    assert phone.client.get("/help").status_code == 200
    db.session.refresh(device)
    noted = device.last_seen_at
    assert utcnow() - noted < timedelta(minutes=1)
    with statements(db.engine) as seen:
        assert phone.client.get("/help").status_code == 200
    assert "COMMIT" not in seen
    db.session.refresh(device)
    assert device.last_seen_at == noted


def test_a_health_check_from_the_phone_does_not_note_it_as_seen(db, phone):
    device = last_seen(db, hours_ago=2)
    before = device.last_seen_at
    assert phone.client.get("/healthz").status_code == 200
    db.session.refresh(device)
    assert device.last_seen_at == before


def other_phone_after_choosing_spanish(app: Flask, db, phone: PatientPhone) -> PatientPhone:  # noqa: ANN001
    """The patient chose Spanish on `phone`; their other phone has no language cookie and an
    English browser, so only the patient's choice can make its pages Spanish."""
    html = phone.client.get("/today").text
    chosen = phone.client.post(
        "/language", data={"csrf_token": csrf_from(html), "language": "es", "next": "/today"}
    )
    assert chosen.status_code == 303
    other = app.test_client()
    assert enroll(other, enrollment_token(db, phone.patient)).status_code == 303
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = ENGLISH_BROWSER
    return PatientPhone(other, phone.patient)


def test_a_form_refused_before_its_view_runs_is_in_the_patients_language(app, db, phone):
    other = other_phone_after_choosing_spanish(app, db, phone)
    assert "Sus cuidados después de la infusión" in other.client.get("/today").text
    # The app-wide CSRF check refuses it before any patient code runs.
    refused = other.client.post("/companion", data={"csrf_token": "stale"})
    assert refused.status_code == 400
    assert "Este formulario venció." in refused.text
    assert '<html lang="es">' in refused.text


def test_the_apps_own_pages_and_a_missing_page_are_in_the_patients_language(app, db, phone):
    other = other_phone_after_choosing_spanish(app, db, phone)
    assert "Sin conexión" in other.client.get("/offline").text
    manifest = other.client.get("/manifest.webmanifest").json
    assert manifest["lang"] == "es"
    missing = other.client.get("/no-such-page")
    assert missing.status_code == 404 and "Aquí no hay nada." in missing.text


def test_clinicians_pages_are_english_even_at_an_address_that_is_no_page(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-US,es;q=0.9"
    missing = client.get("/clinic/no-such-page")
    assert missing.status_code == 404
    assert '<html lang="en">' in missing.text and "There is nothing here." in missing.text
    # The same browser reads the patients' side in Spanish.
    assert "Aquí no hay nada." in client.get("/no-such-page").text


def test_the_crisis_bar_marks_the_clinics_own_english_on_each_page_that_shows_it(
    app, db, phone, clinic
):
    """A Spanish reader's screen reader is told which of the clinic's words are English: on
    the patient's pages, and on the companion's page, whose wording is its patient's clinic's."""
    clinic.content = {"not_monitored": "Nobody at Riverside watches this app at night."}
    db.session.commit()
    phone.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    marked = 'lang="en">Nobody at Riverside watches this app at night.'
    assert marked in phone.client.get("/today").text
    page = phone.client.get("/companion").text
    made = phone.client.post("/companion", data={"csrf_token": csrf_from(page)}).text
    link = made.split('href="http://localhost', 1)[1].split('"', 1)[0]
    companion = app.test_client()  # another phone, not linked
    companion.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    assert marked in companion.get(link).text
    # An English reader's page needs no mark.
    phone.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = ENGLISH_BROWSER
    assert marked not in phone.client.get("/today").text
