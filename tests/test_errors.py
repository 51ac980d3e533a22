"""Error pages when the database cannot be reached: a 503 in plain words, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.conftest import csrf_from


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
