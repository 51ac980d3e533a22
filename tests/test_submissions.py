"""Forms a phone may keep and send later (aftercare/submissions.py): the check-in, the
questionnaires and the language switch follow one set of rules. Which answers are JSON, what
each outcome answers, and how long a form's token lives are the same for all of them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import itsdangerous
import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from aftercare.models import CheckIn, QuestionnaireResponse
from aftercare.submissions import wants_json
from tests.conftest import csrf_from, enrollment_token
from tests.http_client import TIMEOUT_S, linked_phone, page_token

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

# (who asks, headers and body, answered in JSON?)
ASKING = [
    ("a browser", {"Accept": BROWSER}, None, False),
    ("no Accept header", {"Accept": None}, None, False),
    ("no preference", {"Accept": "*/*"}, None, False),
    ("the outbox", {"Accept": "application/json"}, None, True),
    ("JSON first", {"Accept": "application/json, text/html;q=0.9"}, None, True),
    ("HTML first", {"Accept": "text/html, application/json;q=0.9"}, None, False),
    ("any application type", {"Accept": "application/*"}, None, True),
    ("a JSON body", {"Accept": None, "Content-Type": "application/json"}, b"{}", True),
]


@pytest.mark.parametrize(("who", "headers", "body", "expected"), ASKING)
def test_which_requests_are_answered_in_json(
    app: Flask, who: str, headers: dict[str, Any], body: bytes | None, expected: bool
) -> None:
    sent = {name: value for name, value in headers.items() if value is not None}
    with app.test_request_context("/check-in", method="POST", headers=sent, data=body):
        assert wants_json() is expected, who


def in_json(response: requests.Response) -> bool:
    return response.headers.get("Content-Type", "").startswith("application/json")


def test_every_answer_a_phone_can_get_agrees_on_json_or_a_page(waitress, db, patient) -> None:  # noqa: ANN001
    """Not linked (401), no such page (404), a stale form (400), answers that cannot be stored
    (422) and a stale language switch (400): each in JSON exactly when the client asked for it."""
    phone = linked_phone(waitress, enrollment_token(db, patient))
    token = page_token(phone, f"{waitress.url}/questionnaires/phq9")
    nobody = requests.Session()

    def answers(headers: dict[str, Any], body: bytes | None) -> dict[str, requests.Response]:
        def form(fields: dict[str, str]) -> dict[str, Any]:
            return {"data": body if body is not None else fields, "headers": headers}

        def send(session: requests.Session, method: str, path: str, **kwargs: Any):  # noqa: ANN202
            kwargs.setdefault("headers", headers)
            if body is not None:
                kwargs.setdefault("data", body)
            url = f"{waitress.url}{path}"
            return session.request(method, url, allow_redirects=False, timeout=TIMEOUT_S, **kwargs)

        return {
            "not linked": send(nobody, "GET", "/today"),
            "no such page": send(nobody, "GET", "/no-such-page"),
            "stale check-in": send(
                phone,
                "POST",
                "/check-in",
                **form({"csrf_token": "stale", "idempotency_key": "stale-check-in-1"}),
            ),
            "unanswered questionnaire": send(
                phone,
                "POST",
                "/questionnaires/phq9",
                **form({"csrf_token": token, "idempotency_key": "no-answers-0001"}),
            ),
            "stale language switch": send(
                phone, "POST", "/language", **form({"csrf_token": "stale", "language": "es"})
            ),
        }

    for who, headers, body, expected in ASKING:
        answered = answers(headers, body)
        statuses = {what: response.status_code for what, response in answered.items()}
        assert statuses == {
            "not linked": 401,
            "no such page": 404,
            "stale check-in": 400,
            # A JSON body is never read as a form, so its token is missing too.
            "unanswered questionnaire": 400 if body else 422,
            "stale language switch": 400,
        }, who
        assert {what: in_json(r) for what, r in answered.items()} == dict.fromkeys(
            answered, expected
        ), who
    assert db.session.scalar(select(func.count()).select_from(QuestionnaireResponse)) == 0


@dataclass(frozen=True)
class KeptForm:
    """A form the outbox sends: where it is, good answers, and answers it refuses."""

    path: str
    form_id: str
    good: dict[str, str]
    bad: dict[str, str]
    table: type


PHQ9_ZEROS = {f"item-{n}": "0" for n in range(1, 10)}
KEPT_FORMS = [
    KeptForm("/check-in", "check-in-form", {"headache": "1"}, {"systolic": "9" * 12}, CheckIn),
    KeptForm(
        "/questionnaires/phq9",
        "questionnaire-form",
        PHQ9_ZEROS,
        {**PHQ9_ZEROS, "item-9": "7"},
        QuestionnaireResponse,
    ),
]


@pytest.mark.parametrize("kept", KEPT_FORMS, ids=lambda kept: kept.path)
def test_stored_already_stored_invalid_and_expired_are_answered_alike(
    waitress,  # noqa: ANN001
    db,  # noqa: ANN001
    patient,  # noqa: ANN001
    kept: KeptForm,
) -> None:
    phone = linked_phone(waitress, enrollment_token(db, patient))
    url = f"{waitress.url}{kept.path}"
    token = page_token(phone, url)

    def post(fields: dict[str, str], key: str, accept: str) -> requests.Response:
        data = {**fields, "csrf_token": token, "idempotency_key": key}
        headers = {"Accept": accept}
        return phone.post(url, data=data, headers=headers, allow_redirects=False, timeout=TIMEOUT_S)

    def stored() -> int:
        db.session.remove()
        return db.session.scalar(select(func.count()).select_from(kept.table))

    # The outbox: JSON.
    new = post(kept.good, "outbox-key-0001", "application/json")
    assert new.status_code == 201
    assert set(new.json()) >= {"id", "result_url", "created"} and new.json()["created"] is True
    again = post(kept.good, "outbox-key-0001", "application/json")
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert (again.json()["id"], again.json()["result_url"]) == (
        new.json()["id"],
        new.json()["result_url"],
    )
    refused = post(kept.bad, "outbox-key-0002", "application/json")
    assert refused.status_code == 422 and refused.json()["error"] == "invalid"
    token, good_token = "stale", token
    expired = post(kept.good, "outbox-key-0003", "application/json")
    assert expired.status_code == 400 and expired.json()["error"] == "csrf"
    assert stored() == 1

    # A plain form post: the result, the form again, or a page that says the form expired.
    token = good_token
    first = post(kept.good, "plain-key-0001", BROWSER)
    assert first.status_code == 303
    second = post(kept.good, "plain-key-0001", BROWSER)
    assert second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert phone.get(f"{waitress.url}{first.headers['Location']}", timeout=TIMEOUT_S).ok
    form_again = post(kept.bad, "plain-key-0002", BROWSER)
    assert form_again.status_code == 422 and f'id="{kept.form_id}"' in form_again.text
    token = "stale"
    expired_page = post(kept.good, "plain-key-0003", BROWSER)
    assert expired_page.status_code == 400
    assert "This form has expired" in expired_page.text and "<html" in expired_page.text
    assert stored() == 2


def after_hours(monkeypatch: pytest.MonkeyPatch, hours: int) -> None:
    """Every token check from now on happens `hours` later."""
    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + hours * 3600)


def check_in(phone, token: str) -> Any:  # noqa: ANN001, ANN401
    data = {"csrf_token": token, "idempotency_key": "kept-form-0001", "headache": "1"}
    return phone.client.post("/check-in", data=data, headers={"Accept": "application/json"})


def questionnaire(phone, token: str) -> Any:  # noqa: ANN001, ANN401
    data = {**PHQ9_ZEROS, "csrf_token": token, "idempotency_key": "kept-form-0001"}
    return phone.client.post(
        "/questionnaires/phq9", data=data, headers={"Accept": "application/json"}
    )


def language_switch(phone, token: str) -> Any:  # noqa: ANN001, ANN401
    data = {"csrf_token": token, "language": "es", "next": "/today"}
    return phone.client.post("/language", data=data, headers={"Accept": "application/json"})


@pytest.mark.parametrize(
    ("send", "accepted"), [(check_in, 201), (questionnaire, 201), (language_switch, 303)]
)
def test_a_form_kept_on_the_phone_for_hours_is_accepted_until_its_token_runs_out(
    phone,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    send: Callable[[Any, str], Any],
    accepted: int,
) -> None:
    token = csrf_from(phone.client.get("/today").text)
    # The app's limit is 72 hours; a clinician's form lasts one.
    after_hours(monkeypatch, 80)
    stale = send(phone, token)
    assert stale.status_code == 400
    assert json.loads(stale.data)["error"] == "csrf"
    monkeypatch.undo()
    after_hours(monkeypatch, 3)
    assert send(phone, token).status_code == accepted
