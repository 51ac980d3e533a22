"""Error pages: a 503 in plain words while the database cannot be reached, and every server
error logged once with its request id, which its page shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import event, update

from aftercare.error_log import masked
from aftercare.extensions import db as _db
from aftercare.models import Clinic
from tests.conftest import add_patient, csrf_from, enrollment_token, make_app
from tests.http_client import TIMEOUT_S, linked_phone, page_token, signed_in


@contextmanager
def database_down(db) -> Iterator[None]:  # noqa: ANN001
    """Every statement fails as it does while the database server restarts."""
    dbapi_error = db.engine.dialect.loaded_dbapi.OperationalError

    def fail(*args: object) -> None:
        raise dbapi_error("server closed the connection unexpectedly")

    db.session.remove()
    event.listen(db.engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", fail)


def test_a_check_in_sent_while_the_database_is_down_is_kept_on_the_phone(phone, db):
    page = phone.client.get("/check-in")
    form = {"csrf_token": csrf_from(page.text), "idempotency_key": "k" * 32, "headache": "1"}
    with database_down(db):
        response = phone.client.post("/check-in", data=form, headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.json["error"] == "unavailable"
    assert "kept on this phone" in response.json["message"]
    # Once the database is back, the phone's next try is stored.
    again = phone.client.post("/check-in", data=form, headers={"Accept": "application/json"})
    assert again.status_code == 201


def test_a_check_in_form_posted_without_javascript_gets_a_page_that_says_so(phone, db):
    page = phone.client.get("/check-in")
    form = {"csrf_token": csrf_from(page.text), "idempotency_key": "k" * 32}
    with database_down(db):
        response = phone.client.post("/check-in", data=form)
    assert response.status_code == 503
    assert "Your check-in could not be saved just now" in response.text
    assert "Call 988" in response.text  # the crisis bar is still there


@pytest.mark.parametrize("path", ["/today", "/check-in", "/questionnaires"])
def test_patient_pages_answer_503_with_the_crisis_bar(phone, db, path):
    with database_down(db):
        response = phone.client.get(path)
    assert response.status_code == 503
    assert "cannot reach its records" in response.text
    assert "Call 988" in response.text


def test_questionnaire_answers_sent_while_the_database_is_down_are_kept_on_the_phone(phone, db):
    with database_down(db):
        response = phone.client.post(
            "/questionnaires/phq9", data={}, headers={"Accept": "application/json"}
        )
    assert response.status_code == 503
    assert "They are kept on this phone" in response.json["message"]


def test_the_clinic_dashboard_answers_503(clinician_client, db):
    with database_down(db):
        response = clinician_client.get("/clinic/")
    assert response.status_code == 503
    assert "cannot reach its records" in response.text
    assert clinician_client.get("/clinic/").status_code == 200


# --- Server errors over real HTTP: logged once, with the request id, and nothing personal ----

NAME = "Maria Lopez"
AS_A_BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
NOTE = "called her sister, she is scared"


def break_the_clinics_time_zone(db, clinic) -> None:  # noqa: ANN001
    """A value the app cannot use: every page that shows the clinic's time now fails (a real
    500 in the server's own process; the test adds no code to it)."""
    db.session.execute(update(Clinic).where(Clinic.id == clinic.id).values(timezone="Nowhere/X"))
    db.session.commit()


def without_tags(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def log_lines_with(served, reference: str) -> list[str]:  # noqa: ANN001
    return [line for line in served.output().splitlines() if reference in line]


def assert_reported(served, response, endpoint: str) -> str:  # noqa: ANN001
    """A 500 whose page and header carry one reference, logged once under the view's name."""
    assert response.status_code == 500, response.status_code
    reference = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", reference)
    lines = log_lines_with(served, reference)
    assert len(lines) == 1, lines
    assert f"500 {endpoint} [request {reference}]" in lines[0]
    return reference


def test_a_server_error_is_logged_once_with_its_reference_and_nothing_personal(
    waitress, db, clinic, clinician
):
    patient = add_patient(db, clinic, NAME)
    phone = linked_phone(waitress, enrollment_token(db, patient))
    companion = phone.post(
        f"{waitress.url}/companion",
        data={"csrf_token": page_token(phone, f"{waitress.url}/companion")},
        timeout=TIMEOUT_S,
    )
    link = re.search(r'href="(http://[^"]+/c/([\w-]+))"', companion.text)
    browser = signed_in(waitress, clinician.email)
    infusion_token = page_token(browser, f"{waitress.url}/clinic/patients/{patient.id}")
    break_the_clinics_time_zone(db, clinic)

    # The companion's page, in Spanish, with the token in the path and a name in the query.
    page = requests.get(
        f"{link.group(1)}?from={NAME}",
        headers={"Accept-Language": "es", **AS_A_BROWSER},
        timeout=TIMEOUT_S,
    )
    reference = assert_reported(waitress, page, "GET companion.view")
    assert f"Referencia del error: {reference}" in without_tags(page.text)
    assert "Llame o envíe un mensaje de texto al 988" in page.text  # the crisis bar stays

    # A clinician's search for a patient by name.
    search = browser.get(
        f"{waitress.url}/clinic/", params={"q": NAME}, headers=AS_A_BROWSER, timeout=TIMEOUT_S
    )
    reference = assert_reported(waitress, search, "GET clinic.dashboard")
    assert f"Error reference: {reference}" in without_tags(search.text)

    # A form with a note in it.
    form = {
        "csrf_token": infusion_token,
        "day": "2026-01-05",
        "started": "09:00",
        "ended": "10:00",
        "note": NOTE,
    }
    posted = browser.post(
        f"{waitress.url}/clinic/patients/{patient.id}/infusions",
        data=form,
        headers=AS_A_BROWSER,
        timeout=TIMEOUT_S,
    )
    assert_reported(waitress, posted, "POST clinic.infusion_create")

    # The phone asking for JSON gets the reference in JSON.
    today = phone.get(
        f"{waitress.url}/today", headers={"Accept": "application/json"}, timeout=TIMEOUT_S
    )
    reference = assert_reported(waitress, today, "GET patient.today")
    assert today.json()["reference"] == reference

    log = waitress.output()
    assert "ZoneInfoNotFoundError" in log  # the exception itself is there
    personal = [NAME, *NAME.split(), NOTE, link.group(2), clinician.email]
    personal += [cookie.value for cookie in [*phone.cookies, *browser.cookies]]
    assert [text for text in personal if text in log] == []
    assert "/c/" not in log and "/clinic/patients" not in log  # no paths at all


def test_every_response_carries_its_own_request_id(client):
    first, second = client.get("/healthz"), client.get("/no-such-page")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    assert second.status_code == 404


PROXY_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


PROXY_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def test_a_request_id_sent_from_outside_is_not_taken(client):
    response = client.get("/healthz", headers={"X-Request-ID": "chosen-by-anyone-123"})
    assert response.headers["X-Request-ID"] != "chosen-by-anyone-123"


def test_behind_a_trusted_proxy_its_request_id_is_kept_if_it_looks_like_one(tmp_path, database_url):
    app = make_app(tmp_path, database_url, PROXY_COUNT=1)
    client = app.test_client()
    with app.app_context():
        proxied = client.get("/healthz", headers={"X-Request-ID": PROXY_ID})
        odd = client.get("/healthz", headers={"X-Request-ID": "x\tinjected line"})
        _db.session.remove()
        _db.engine.dispose()
    assert proxied.headers["X-Request-ID"] == PROXY_ID
    assert odd.headers["X-Request-ID"] != "x\tinjected line"


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("invalid literal for int() with base 10: 'Maria Lopez'", "base 10: '…'"),
        ("Key (email)=(nurse@clinic.org) already exists.", "Key (email)=(…) already exists."),
        ("no clinician nurse@clinic.org", "no clinician …@…"),
        ("no link 3q2Wx9-zK8pLmN4vB7cR1tY6uI0oP", "no link …"),
        ("column check_in.note does not exist", "column check_in.note does not exist"),
    ],
)
def test_what_an_exception_quotes_is_masked_in_the_log(message, shown):
    assert shown in masked(message)


def test_migrating_the_database_leaves_the_apps_logs_on(tmp_path, empty_database_url):
    # `aftercare run` migrates in the process that then serves and sends reminders; Alembic's
    # logging set-up used to switch off every logger that existed by then.
    import logging

    from flask_migrate import upgrade

    import aftercare.reminders.scheduler  # noqa: F401  (its logger exists before migrating)

    app = make_app(tmp_path, empty_database_url)
    with app.app_context():
        assert not app.logger.disabled
        upgrade()
        assert not app.logger.disabled
        assert not logging.getLogger("aftercare.reminders.scheduler").disabled
        _db.session.remove()
        _db.engine.dispose()
