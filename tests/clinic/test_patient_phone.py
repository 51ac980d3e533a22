"""A patient's phone number over real HTTP: optional, checked, kept in E.164, shown to their
clinic with a tap-to-call link, in the CSV export, and audited without the number."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from aftercare.models import AuditEvent, Patient
from tests.clinic.alert_stories import alert_waiting
from tests.clinic.http_browser import HttpBrowser
from tests.conftest import add_patient


def test_a_new_patient_with_a_phone_number_can_be_called_back_from_an_alert(
    waitress, db, clinic, clinician
):
    browser = HttpBrowser(waitress.url)
    assert browser.sign_in(clinician.email).status_code == 302

    refused = browser.submit("/clinic/patients/new", {"display_name": "Ivan R.", "phone": "555-01"})
    assert refused.status_code == 422
    assert "That is not a valid phone number" in refused.text
    assert 'value="Ivan R."' in refused.text and 'value="555-01"' in refused.text  # nothing lost
    assert db.session.scalar(select(Patient)) is None

    created = browser.submit(
        "/clinic/patients/new", {"display_name": "Ivan R.", "phone": "(202) 555-0143"}
    )
    assert created.status_code == 303
    db.session.rollback()
    ivan = db.session.scalar(select(Patient))
    assert ivan.phone == "+12025550143"

    page = browser.get(f"/clinic/patients/{ivan.id}").text
    assert 'Phone: <a href="tel:+12025550143">(202) 555-0143</a>' in page

    alert_waiting(ivan, "crisis", 5)
    dashboard = browser.get("/clinic/").text
    assert 'href="tel:+12025550143">Call Ivan R. at (202) 555-0143' in dashboard

    export = browser.get("/clinic/export/check-ins.csv")
    [row] = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert row["Patient phone"] == "'+12025550143"  # the spreadsheet guard keeps it text


def test_the_number_is_changed_or_removed_on_the_edit_page_and_audited_without_it(
    waitress, db, clinic, clinician
):
    ivan = add_patient(db, clinic, "Ivan R.")
    browser = HttpBrowser(waitress.url)
    assert browser.sign_in(clinician.email).status_code == 302
    edit = f"/clinic/patients/{ivan.id}/edit"

    assert (
        browser.submit(edit, {"display_name": "Ivan R.", "phone": "+44 20 7946 0958"}).status_code
        == 303
    )
    db.session.rollback()
    assert db.session.get(Patient, ivan.id).phone == "+442079460958"
    shown = browser.get(edit).text
    assert 'value="+44 20 7946 0958"' in shown

    assert browser.submit(edit, {"display_name": "Ivan R.", "phone": ""}).status_code == 303
    db.session.rollback()
    assert db.session.get(Patient, ivan.id).phone is None
    page = browser.get(f"/clinic/patients/{ivan.id}").text
    assert "No phone number" in page and 'href="tel:' not in page

    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "patient.update").order_by(AuditEvent.id)
    ).all()
    assert [e.detail for e in events] == [{"changed": ["phone"]}, {"changed": ["phone"]}]
    assert all(e.patient_id == ivan.id and e.actor == f"clinician:{clinician.id}" for e in events)


def test_another_clinics_patient_cannot_be_edited(waitress, db, other_clinic_patient, clinician):
    browser = HttpBrowser(waitress.url)
    assert browser.sign_in(clinician.email).status_code == 302
    response = browser.submit(
        "/clinic/patients/new",
        {"display_name": "Taken", "phone": "(202) 555-0143"},
        action=f"/clinic/patients/{other_clinic_patient.id}/edit",
    )
    assert response.status_code == 404
    db.session.rollback()
    assert db.session.get(Patient, other_clinic_patient.id).phone is None
