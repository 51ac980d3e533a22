"""Links that leave the app come from AFTERCARE_BASE_URL, and no forged Host header reaches them.

Finding 7 of the hardening issue: with the setting and `Host: evil.example`, a companion link
and an invitation were made on evil.example; without it, so was the enrollment QR code. These
run against `aftercare run` (waitress) over real HTTP.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from aftercare.links import external_url, is_local_host, trusted_hosts
from aftercare.models import Clinician, CompanionLink, EnrollmentLink
from aftercare.reminders.sender import _payload
from tests.conftest import book_appointment, enrollment_token
from tests.http_client import TIMEOUT_S, as_host, linked_phone, page_token, signed_in

BASE = "https://aftercare.riverside.test"
WITH_BASE_URL = pytest.mark.parametrize("server_env", [{"AFTERCARE_BASE_URL": BASE}])
FORGED = "evil.example"


def count(db, model) -> int:  # noqa: ANN001
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@WITH_BASE_URL
def test_a_companion_link_is_never_made_on_a_forged_host(waitress, db, patient):
    phone = linked_phone(waitress, enrollment_token(db, patient))
    token = page_token(phone, f"{waitress.url}/companion")

    forged = phone.post(
        f"{waitress.url}/companion",
        data={"csrf_token": token},
        headers=as_host(phone, FORGED),
        timeout=TIMEOUT_S,
    )
    assert forged.status_code == 400
    assert "evil.example" not in forged.text
    assert count(db, CompanionLink) == 0

    made = phone.post(f"{waitress.url}/companion", data={"csrf_token": token}, timeout=TIMEOUT_S)
    assert made.status_code == 200
    assert re.search(rf'href="{re.escape(BASE)}/c/[\w-]+"', made.text)
    assert count(db, CompanionLink) == 1


@WITH_BASE_URL
def test_an_invitation_is_never_made_on_a_forged_host(waitress, db, admin):
    browser = signed_in(waitress, admin.email, admin.test_totp_secret)
    url = f"{waitress.url}/clinic/admin/clinicians"
    form = {"csrf_token": page_token(browser, url), "name": "New Nurse", "role": "clinician"}
    before = count(db, Clinician)

    forged = browser.post(
        url,
        data={**form, "email": "new.nurse@riverside-clinic.org"},
        headers=as_host(browser, FORGED),
        timeout=TIMEOUT_S,
    )
    assert forged.status_code == 400
    assert "evil.example" not in forged.text
    assert count(db, Clinician) == before

    made = browser.post(
        url, data={**form, "email": "new.nurse@riverside-clinic.org"}, timeout=TIMEOUT_S
    )
    assert made.status_code == 200
    assert re.search(rf"<code>{re.escape(BASE)}/clinic/invite/[\w-]+</code>", made.text)


@WITH_BASE_URL
def test_with_the_setting_links_use_it_whatever_local_address_was_asked(waitress, db, patient):
    # The server is reached at 127.0.0.1:<port>, as a proxy or a health check reaches it.
    phone = linked_phone(waitress, enrollment_token(db, patient))
    token = page_token(phone, f"{waitress.url}/companion")
    made = phone.post(f"{waitress.url}/companion", data={"csrf_token": token}, timeout=TIMEOUT_S)
    assert f"{BASE}/c/" in made.text
    assert "127.0.0.1" not in made.text


def test_without_the_setting_a_forged_host_gets_no_enrollment_link(
    waitress, db, clinician, patient
):
    browser = signed_in(waitress, clinician.email)
    page = f"{waitress.url}/clinic/patients/{patient.id}"
    token = page_token(browser, page)
    url = f"{page}/enrollment-link"
    before = count(db, EnrollmentLink)

    forged = browser.post(
        url, data={"csrf_token": token}, headers=as_host(browser, FORGED), timeout=TIMEOUT_S
    )
    assert forged.status_code == 400
    assert "evil.example" not in forged.text
    assert count(db, EnrollmentLink) == before

    # A name on the local network, as a phone on the clinic's Wi-Fi reaches a trial machine.
    port = waitress.url.rsplit(":", 1)[1]
    local = as_host(browser, f"clinic-pc:{port}")
    made = browser.post(url, data={"csrf_token": token}, headers=local, timeout=TIMEOUT_S)
    assert made.status_code == 200
    assert re.search(rf'href="http://clinic-pc:{port}/enroll/[\w-]+"', made.text)


@WITH_BASE_URL
def test_a_calendar_file_links_back_to_the_app_at_the_public_address(waitress, db, patient):
    appointment = book_appointment(db, patient, "follow_up", timedelta(days=3))
    phone = linked_phone(waitress, enrollment_token(db, patient))
    calendar = phone.get(f"{waitress.url}/appointments/{appointment.id}.ics", timeout=TIMEOUT_S)
    assert calendar.status_code == 200
    assert f"URL:{BASE}/today" in calendar.text.replace("\r\n ", "")


def test_a_fhir_export_names_its_entries_without_any_host(waitress, db, clinician, patient):
    browser = signed_in(waitress, clinician.email)
    port = waitress.url.rsplit(":", 1)[1]
    bundle = browser.get(
        f"{waitress.url}/clinic/patients/{patient.id}/fhir.json",
        headers=as_host(browser, f"clinic-pc:{port}"),
        timeout=TIMEOUT_S,
    )
    assert bundle.status_code == 200
    # urn:uuid: no FHIR server answers at this address, so a URL there would not resolve.
    assert all(entry["fullUrl"].startswith("urn:uuid:") for entry in bundle.json()["entry"])
    assert "clinic-pc" not in bundle.text


def test_reminders_link_to_the_public_address_once_it_is_set(app):
    reminder = SimpleNamespace(id=7, title="Reminder", body="Check in", url="/check-in")
    assert json.loads(_payload(reminder))["url"] == "/check-in"  # opened on the worker's origin
    app.config["BASE_URL"] = BASE
    assert json.loads(_payload(reminder))["url"] == f"{BASE}/check-in"


def test_outside_a_request_and_without_the_setting_a_link_stays_a_path(app):
    assert external_url("/today") == "/today"


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1:5000", True),
        ("localhost", True),
        ("[::1]:5000", True),
        ("192.168.1.20:5000", True),
        ("10.0.0.7", True),
        ("clinic-pc:5000", True),
        ("aftercare.local", True),
        ("box.home.arpa", True),
        ("evil.example", False),
        ("aftercare.riverside.test", False),
        ("8.8.8.8", False),
        ("[::ffff:8.8.8.8]:5000", False),  # a public IPv4 address written as IPv6
        ("", False),
    ],
)
def test_without_the_setting_only_local_names_are_answered(host, local):
    assert is_local_host(host) is local


def test_with_the_setting_its_host_and_loopback_are_trusted():
    assert trusted_hosts(BASE) == ["aftercare.riverside.test", "localhost", "127.0.0.1"]


def test_without_the_setting_a_public_host_gets_a_plain_400_and_one_log_line(app, client, caplog):
    for _ in range(3):
        response = client.get("/today", headers={"Host": FORGED})
        assert response.status_code == 400
        assert response.mimetype == "text/plain"
    refusals = [r for r in caplog.records if "refused a request for the host" in r.getMessage()]
    assert len(refusals) == 1
    assert "AFTERCARE_BASE_URL" in refusals[0].getMessage()


def test_the_start_up_message_says_what_to_set_for_production(waitress):
    assert "AFTERCARE_BASE_URL is not set" in waitress.output()
    assert "AFTERCARE_BASE_URL=https://" in waitress.output()


@WITH_BASE_URL
def test_the_start_up_message_names_the_public_address(waitress):
    assert f"use {BASE}" in waitress.output()
    assert "other host are refused" in waitress.output()


def test_gunicorn_warns_once_when_the_setting_is_missing(gunicorn):
    assert gunicorn.output().count("AFTERCARE_BASE_URL is not set") == 1
