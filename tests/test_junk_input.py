"""Junk input gets a 4xx, never a 500: over real HTTP to `aftercare run` (waitress).

Finding 10 of the hardening issue: 30-digit ids (beyond the database's integers), a 30-digit
audit page, and 60 KB of nested "[" posted to /push/subscription all answered 500. The CSV
export's dates are the exports' own tests.
"""

from __future__ import annotations

import pytest
import requests

from aftercare.request_input import MAX_ID
from tests.conftest import enrollment_token
from tests.http_client import (
    TIMEOUT_S,
    http_request,
    linked_phone,
    page_token,
    raw_request,
    signed_in,
)

HUGE = "9" * 30
JUNK_IDS = [HUGE, str(MAX_ID + 1), str(2**63), "0" * 40 + "1", "9" * 5000]


@pytest.fixture
def clinician_browser(waitress, clinician) -> requests.Session:  # noqa: ANN001
    return signed_in(waitress, clinician.email)


@pytest.fixture
def phone_browser(waitress, db, patient) -> requests.Session:  # noqa: ANN001
    return linked_phone(waitress, enrollment_token(db, patient))


# One server per test: each test walks its cases in a loop.


def answers(browser: requests.Session, url: str) -> int:
    return browser.get(url, timeout=TIMEOUT_S).status_code


def test_a_clinic_page_for_an_impossible_id_is_not_found(waitress, clinician_browser):
    paths = ["/clinic/patients/{}", "/clinic/patients/{}/fhir.json"]
    paths += ["/clinic/patients/{}/check-ins.csv", "/clinic/appointments/{}/edit"]
    found = {
        (p, j[:12]): answers(clinician_browser, waitress.url + p.format(j))
        for p in paths
        for j in JUNK_IDS
    }
    assert set(found.values()) == {404}, found


def test_a_patient_page_for_an_impossible_id_is_not_found(waitress, phone_browser):
    paths = ["/check-ins/{}", "/appointments/{}.ics", "/questionnaires/responses/{}"]
    found = {
        (p, j[:12]): answers(phone_browser, waitress.url + p.format(j))
        for p in paths
        for j in JUNK_IDS
    }
    assert set(found.values()) == {404}, found


def test_a_write_to_an_impossible_id_is_not_found(waitress, clinician_browser, patient):
    token = page_token(clinician_browser, f"{waitress.url}/clinic/patients/{patient.id}")
    for path in (f"/clinic/alerts/{HUGE}/acknowledge", f"/clinic/appointments/{HUGE}/cancel"):
        response = clinician_browser.post(
            waitress.url + path, data={"csrf_token": token}, timeout=TIMEOUT_S
        )
        assert response.status_code == 404, path


def test_an_impossible_audit_filter_is_a_400(waitress, admin):
    browser = signed_in(waitress, admin.email, admin.test_totp_secret)
    for query in (f"page={HUGE}", "page=-1", "page=²", f"patient={HUGE}", "since=2026-02-30"):
        response = browser.get(f"{waitress.url}/clinic/admin/audit?{query}", timeout=TIMEOUT_S)
        assert response.status_code == 400, query
        assert "must be" in response.text  # the page says what was wrong


def test_the_audit_trail_up_to_the_last_day_there_is_answers(waitress, admin):
    browser = signed_in(waitress, admin.email, admin.test_totp_secret)
    query = "since=0001-01-01&until=9999-12-31&page=2"
    response = browser.get(f"{waitress.url}/clinic/admin/audit?{query}", timeout=TIMEOUT_S)
    assert response.status_code == 200


def test_a_dashboard_page_far_past_the_last_is_the_last(waitress, clinician_browser):
    for page in (MAX_ID, HUGE, "-" + HUGE, "9" * 5000):
        url = f"{waitress.url}/clinic/?page={page}"
        assert clinician_browser.get(url, timeout=TIMEOUT_S).status_code == 200


UNREADABLE_JSON = [
    b"[" * 60_000,  # deeper than Python's parser can go
    b"[" * 40 + b"]" * 40,  # parsed, but deeper than anything the app reads
    b'{"endpoint": "https://push.example/x", ',  # cut short
    b"\xff\xfe{}",  # not UTF-8
]


def test_json_that_cannot_be_read_is_a_400(waitress, phone_browser):
    token = page_token(phone_browser, f"{waitress.url}/today")
    headers = {"Content-Type": "application/json", "X-CSRFToken": token}
    for body in UNREADABLE_JSON:
        for method in ("POST", "DELETE"):
            response = phone_browser.request(
                method,
                f"{waitress.url}/push/subscription",
                data=body,
                headers=headers,
                timeout=TIMEOUT_S,
            )
            assert response.status_code == 400, (method, body[:20], response.status_code)


def test_a_json_body_larger_than_the_limit_is_a_413(waitress, phone_browser):
    token = page_token(phone_browser, f"{waitress.url}/today")
    response = phone_browser.post(
        f"{waitress.url}/push/subscription",
        data=b"[" * 70_000,
        headers={"Content-Type": "application/json", "X-CSRFToken": token},
        timeout=TIMEOUT_S,
    )
    assert response.status_code == 413


CONTROL_HEADERS = [
    ("Accept-Language", "es\x01\x7f"),
    ("Accept", "text/html\x00"),
    ("Origin", "http://127.0.0.1\x01"),
    ("Cookie", "aftercare_device=\x01\x02; aftercare_session=\x7f"),
    ("X-Request-ID", "\x01\x02\x03"),
    ("X-Forwarded-Host", "evil.example\x01"),
    ("Content-Type", "application/json\x01"),
    ("User-Agent", "\x01" * 300),
    ("Host", "127.0.0.1\x01"),
]


def test_control_characters_in_headers_are_never_a_500(waitress):
    found = {}
    for name, value in CONTROL_HEADERS:
        for method in ("GET", "POST"):
            for target in ("/", "/today", "/clinic/login", "/language", "/push/subscription"):
                request = http_request(method, target, [(name, value)])
                found[(name, method, target)] = raw_request(waitress, request).status
    assert [case for case, status in found.items() if status >= 500] == []


def test_a_json_body_sent_to_a_form_is_refused_not_a_500(waitress, phone_browser):
    # Flask-WTF read a JSON body as the form: `false` or `[1]` broke the form itself.
    token = page_token(phone_browser, f"{waitress.url}/today")
    headers = {"Content-Type": "application/json", "X-CSRFToken": token}
    found = {}
    for path in ("/language", "/companion", "/check-in", "/questionnaires/phq9"):
        for body in ("false", "[1, 2]", '"es"', '{"language": ["es", 1], "next": {"a": 1}}'):
            response = phone_browser.post(
                waitress.url + path, data=body, headers=headers, timeout=TIMEOUT_S
            )
            found[(path, body)] = response.status_code
    assert [case for case, status in found.items() if status >= 500] == []
    assert found[("/language", "false")] == 400
