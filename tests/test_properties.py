"""Property-based tests: generated requests to every form and JSON endpoint, and to every route.

Each test fetches a valid CSRF token once, so the generated requests reach the real validation,
then sends hypothesis-generated field values: unicode and control characters, strings of a few
KB, numbers out of range, missing fields, wrong JSON types and unknown fields. For every request:

* the answer is never a 5xx;
* a refused request (4xx, or a form shown again) writes nothing: the row counts are unchanged;
* an accepted request writes exactly what it should (e.g. one check-in, one audit event, and one
  alert if and only if the triage level is an alert level).

Every route of the URL map also gets generated requests with hostile ids, dates, pages, JSON
bodies and headers (huge and negative numbers, control characters, deep JSON, long text), from
four people (nobody, a linked phone, a clinician, an admin): through the test client, and fewer
through `aftercare run` (waitress) in its own process. Every query parameter the app reads is
swept on every page. None of them may be answered with a 5xx.

The suite sends well over 2,000 requests in all; the session fixture below prints the total.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import pyotp
import pytest
import requests
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from aftercare.care.symptoms import GRADED, YES_NO
from aftercare.care.triage import Level
from aftercare.clinic.auth import CLINIC_BLUEPRINTS
from aftercare.extensions import db as _db
from aftercare.extensions import limiter
from aftercare.models import (
    Alert,
    Appointment,
    AuditEvent,
    CheckIn,
    Clinic,
    Infusion,
    Patient,
    PushSubscription,
    QuestionnaireResponse,
    Reminder,
)
from aftercare.patient_access import PATIENT_BLUEPRINTS
from aftercare.questionnaires.service import instruments
from tests.conftest import PASSWORD, book_appointment, csrf_from, enrollment_token
from tests.http_client import http_request, linked_phone, page_token, raw_request, signed_in
from tests.servers import Served, serve_waitress

REQUESTS = {"count": 0}
MINIMUM_REQUESTS = 2000
# The property tests below; when all of them ran, they must have sent MINIMUM_REQUESTS.
PROPERTY_TESTS = 12
RAN: set[str] = set()


def examples(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture(scope="session", autouse=True)
def _request_total() -> Iterator[None]:
    yield
    print(f"\ntest_properties: {REQUESTS['count']} generated requests sent")  # noqa: T201
    if len(RAN) == PROPERTY_TESTS:
        assert REQUESTS["count"] >= MINIMUM_REQUESTS, REQUESTS["count"]


@pytest.fixture(autouse=True)
def _note_property_test(request: pytest.FixtureRequest) -> None:
    if "never_fail" in request.node.name:
        RAN.add(request.node.name)


def send(client: FlaskClient, method: str, url: str, **kwargs: Any):  # noqa: ANN201
    """Send one request; it must never be answered with a 5xx."""
    REQUESTS["count"] += 1
    response = client.open(url, method=method, **kwargs)
    assert response.status_code < 500, (method, url, kwargs, response.status_code)
    return response


TABLES = (
    CheckIn,
    Alert,
    QuestionnaireResponse,
    PushSubscription,
    Patient,
    Infusion,
    Appointment,
    Reminder,
)


def counts(db) -> dict[str, int]:  # noqa: ANN001
    found = {t.__name__: db.session.scalar(select(func.count()).select_from(t)) for t in TABLES}
    # Views are audited too (patient.view when a form is shown again); only changes count here.
    found["AuditEvent"] = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action.not_like("%.view"))
    )
    return found


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in before if after[k] != before[k]}


def no_orphan_alerts(db) -> None:  # noqa: ANN001
    orphans = db.session.scalar(
        select(func.count())
        .select_from(Alert)
        .where(Alert.check_in_id.is_(None), Alert.questionnaire_response_id.is_(None))
    )
    assert orphans == 0


# --- Generated values ------------------------------------------------------------------------

EDGE_STRINGS = [
    "",
    " ",
    "\x00",
    "\t\n\r",
    "0",
    "-1",
    "--5",
    "+3",
    "1e3",
    "3.5",
    "²",
    "٣",
    "१२०",
    "99999999999999999999999",
    "-99999999999999999999999",
    "NaN",
    "inf",
    "null",
    "true",
    "yes",
    "no",
    "on",
    "<script>alert(1)</script>",
    "'; DROP TABLE check_in; --",
    "\u202e\u200b\ufeff",
    "🙂" * 10,
    "2024-02-30",
    "25:61",
    "2026-03-08T02:30:00-05:00",
    "2020-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59+14:00",
]

# Numbers of 309+ digits once crashed every IntegerField with NumberRange; the dedicated tests
# below pin the fix, so the properties here can spend their examples on everything else.
long_text = st.builds(lambda c, n: c * n, st.characters(), st.integers(300, 4000)).filter(
    lambda t: not t.strip().lstrip("+-").isdigit()
)
wild_text = st.one_of(
    st.sampled_from(EDGE_STRINGS),
    st.text(max_size=30),
    st.integers(-(10**12), 10**12).map(str),
    long_text,
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    wild_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field's value: missing (None), a valid one, or anything at all."""
    return st.one_of(st.none(), valid, wild_text)


def form_of(fields: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in fields.items() if v is not None}


extra_fields = st.dictionaries(
    st.sampled_from(["unknown", "admin", "patient_id", "id", "clinic_id"]), wild_text, max_size=2
)
keys = st.one_of(st.uuids().map(lambda u: u.hex), st.uuids().map(lambda u: u.hex), wild_text)


# --- Check-in (form and JSON) ----------------------------------------------------------------

check_in_fields = st.fixed_dictionaries(
    {
        "systolic": maybe(st.integers(20, 300).map(str)),
        "diastolic": maybe(st.integers(10, 200).map(str)),
        "heart_rate": maybe(st.integers(10, 260).map(str)),
        "got_home_safely": maybe(st.sampled_from(["yes", "no"])),
        "slept": maybe(st.sampled_from(["yes", "no"])),
        "note": maybe(st.text(max_size=200)),
        "filled_at": maybe(st.sampled_from(["", "2020-01-01T00:00:00+00:00"])),
        "idempotency_key": keys,
        **{s.code: maybe(st.sampled_from(["0", "1", "2", "3", "4"])) for s in GRADED},
        **{s.code: maybe(st.sampled_from(["y", "1", "on"])) for s in YES_NO},
    }
)


def _check_in_outcome(db, phone, before, response, key: Any, existed: bool) -> None:  # noqa: ANN001
    after = counts(db)
    delta = changed(before, after)
    no_orphan_alerts(db)
    if response.status_code >= 400 or existed:
        assert delta == {}, (response.status_code, delta)
        return
    assert response.status_code in (200, 201, 303)
    stored = db.session.scalar(
        select(CheckIn).where(
            CheckIn.patient_id == phone.patient.id, CheckIn.idempotency_key == as_stored(key)
        )
    )
    assert stored is not None
    alerts = 1 if Level(stored.triage_level).is_alert else 0
    expected = {"CheckIn": 1, "AuditEvent": 1, **({"Alert": 1} if alerts else {})}
    assert delta == expected
    assert (
        db.session.scalar(
            select(func.count()).select_from(Alert).where(Alert.check_in_id == stored.id)
        )
        == alerts
    )


def as_stored(text: str) -> str:
    """Text as the app keeps it: without NUL characters (aftercare/request_input.py)."""
    return text.replace("\x00", "")


def _key_exists(db, phone, key: Any) -> bool:  # noqa: ANN001
    if not isinstance(key, str):
        return False
    return (
        db.session.scalar(
            select(CheckIn).where(
                CheckIn.patient_id == phone.patient.id, CheckIn.idempotency_key == as_stored(key)
            )
        )
        is not None
    )


def test_check_in_form_never_fails_or_half_writes(phone, db) -> None:  # noqa: ANN001
    token = csrf_from(send(phone.client, "GET", "/check-in").text)

    @examples(350)
    @given(fields=check_in_fields, extra=extra_fields, as_json_reply=st.booleans())
    def run(fields: dict[str, Any], extra: dict[str, str], as_json_reply: bool) -> None:
        data = {**extra, **form_of(fields), "csrf_token": token}
        existed = _key_exists(db, phone, fields["idempotency_key"])
        before = counts(db)
        headers = {"Accept": "application/json"} if as_json_reply else {}
        response = send(phone.client, "POST", "/check-in", data=data, headers=headers)
        _check_in_outcome(db, phone, before, response, fields["idempotency_key"], existed)

    run()


def test_check_in_json_body_never_fails_or_half_writes(phone, db) -> None:  # noqa: ANN001
    token = csrf_from(send(phone.client, "GET", "/check-in").text)
    names = ["systolic", "diastolic", "heart_rate", "got_home_safely", "slept", "note"]
    names += ["filled_at", "idempotency_key", *(s.code for s in GRADED + YES_NO)]

    # Only string values (or lists of them, sent as repeated fields) here: other JSON types,
    # and bodies that are not objects, have their own tests below.
    values = st.one_of(wild_text, st.lists(wild_text, min_size=1, max_size=3))

    @examples(200)
    @given(body=st.dictionaries(st.sampled_from(names), values, max_size=8), key=keys)
    def run(body: dict[str, Any], key: str) -> None:
        payload: Any = {"idempotency_key": key, **body, "csrf_token": token}
        key_sent = payload.get("idempotency_key")
        if isinstance(key_sent, list):
            key_sent = key_sent[0]
        existed = _key_exists(db, phone, key_sent)
        before = counts(db)
        response = send(
            phone.client, "POST", "/check-in", json=payload, headers={"Accept": "application/json"}
        )
        _check_in_outcome(db, phone, before, response, key_sent, existed)

    run()


# A check-in is a form: a JSON body, whatever it holds, is not read as one. The token it may
# carry is not read either, so it is refused as a form without its token, and nothing is stored.
@pytest.mark.parametrize(
    "payload",
    [
        ["x"],
        "abc",
        7,
        {"idempotency_key": "json-body-key-1", "note": 1},
        {"idempotency_key": "json-body-key-1", "filled_at": 1},
        {"idempotency_key": 12345678},
    ],
)
def test_a_check_in_sent_as_json_is_refused_as_a_form_without_its_token(
    phone,  # noqa: ANN001
    db,  # noqa: ANN001
    payload: Any,
) -> None:
    token = csrf_from(send(phone.client, "GET", "/check-in").text)
    if isinstance(payload, dict):
        payload = {**payload, "csrf_token": token}
    before = counts(db)
    response = send(
        phone.client, "POST", "/check-in", json=payload, headers={"Accept": "application/json"}
    )
    assert response.status_code == 400
    assert response.json["error"] == "csrf"
    assert changed(before, counts(db)) == {}


@pytest.mark.parametrize("field", ["heart_rate", "systolic"])
def test_a_check_in_with_a_309_digit_number_is_refused_and_says_which(
    phone,  # noqa: ANN001
    db,  # noqa: ANN001
    field: str,
) -> None:
    before = counts(db)
    REQUESTS["count"] += 2
    response = phone.check_in(**{field: "2" * 309}, headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.json["error"] == "invalid"
    assert list(response.json["errors"]) == [field]
    assert response.json["errors"][field][0] == "Not a valid integer value."
    assert changed(before, counts(db)) == {}


def test_an_appointment_with_a_309_digit_duration_is_refused_and_says_so(
    clinician_client,  # noqa: ANN001
    patient,  # noqa: ANN001
    db,  # noqa: ANN001
) -> None:
    token = csrf_from(send(clinician_client, "GET", f"/clinic/patients/{patient.id}").text)
    data = {"csrf_token": token, "kind": "infusion", "day": "2030-01-01", "starts": "10:00"}
    data["duration_minutes"] = "2" * 309
    before = counts(db)
    response = send(
        clinician_client, "POST", f"/clinic/patients/{patient.id}/appointments", data=data
    )
    assert response.status_code == 422
    assert "Not a valid integer value." in response.text
    assert changed(before, counts(db)) == {}


# --- Questionnaires --------------------------------------------------------------------------


def phq9_answers(**changes: str) -> dict[str, str]:
    """Every PHQ-9 item answered 0 ("Not at all"), with some fields changed."""
    return {**{f"item-{n}": "0" for n in range(1, 10)}, **changes}


# Digits that str.isdigit() takes and int() refuses ("²"), and a sign twice: not a choice.
@pytest.mark.parametrize("value", ["²", "--5", "٣", "1e3"])
def test_a_questionnaire_answer_that_is_not_a_number_is_refused_and_nothing_stored(
    phone,  # noqa: ANN001
    db,  # noqa: ANN001
    value: str,
) -> None:
    token = csrf_from(send(phone.client, "GET", "/questionnaires/phq9").text)
    data = {**phq9_answers(**{"item-1": value}), "csrf_token": token}
    data["idempotency_key"] = "odd-digit-key-1"
    before = counts(db)
    response = send(
        phone.client,
        "POST",
        "/questionnaires/phq9",
        data=data,
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    assert response.json == {
        "error": "invalid",
        "message": "One of the answers is not one of the choices. Please check your answers.",
    }
    assert changed(before, counts(db)) == {}


def test_an_optional_answer_that_is_not_a_choice_is_left_out_and_the_rest_is_stored(
    phone,  # noqa: ANN001
    db,  # noqa: ANN001
) -> None:
    token = csrf_from(send(phone.client, "GET", "/questionnaires/phq9").text)
    data = {**phq9_answers(**{"extra-difficulty": "²"}), "csrf_token": token}
    data["idempotency_key"] = "odd-extra-key-1"
    response = send(phone.client, "POST", "/questionnaires/phq9", data=data)
    assert response.status_code == 303
    stored = db.session.scalar(select(QuestionnaireResponse))
    assert (stored.total, stored.extra) == (0, {})


def test_questionnaires_never_fail_or_half_write(phone, db) -> None:  # noqa: ANN001
    found = instruments()
    ids = sorted(found)
    token = csrf_from(send(phone.client, "GET", f"/questionnaires/{ids[0]}").text)

    @st.composite
    def submissions(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
        instrument = found[draw(st.sampled_from(ids))]
        values = sorted({o.value for o in instrument.options}) if instrument.options else [0]
        # Mostly complete and valid, so that accepted answers are exercised too.
        valid = draw(st.booleans())
        data: dict[str, str] = {}
        for item in instrument.items:
            if valid:
                data[f"item-{item.number}"] = str(draw(st.sampled_from(values)))
            else:
                value = draw(maybe(st.sampled_from([str(v) for v in values])))
                if value is not None:
                    data[f"item-{item.number}"] = value
        for question in instrument.extra_questions:
            value = draw(maybe(st.sampled_from([str(o.value) for o in question.options])))
            if value is not None:
                data[f"extra-{question.key}"] = value
        key = draw(keys)
        data["idempotency_key"] = key
        filled = draw(st.one_of(st.none(), wild_text))
        if filled is not None:
            data["filled_at"] = filled
        data.update(draw(extra_fields))
        return instrument.id, data

    @examples(400)
    @given(submission=submissions(), as_json_reply=st.booleans())
    def run(submission: tuple[str, dict[str, str]], as_json_reply: bool) -> None:
        instrument_id, data = submission
        key = data["idempotency_key"]
        existed = (
            db.session.scalar(
                select(QuestionnaireResponse).where(
                    QuestionnaireResponse.patient_id == phone.patient.id,
                    QuestionnaireResponse.idempotency_key == key,
                )
            )
            is not None
        )
        before = counts(db)
        headers = {"Accept": "application/json"} if as_json_reply else {}
        response = send(
            phone.client,
            "POST",
            f"/questionnaires/{instrument_id}",
            data={**data, "csrf_token": token},
            headers=headers,
        )
        delta = changed(before, counts(db))
        # Answering may cancel a pending reminder; that changes a row, not the count.
        no_orphan_alerts(db)
        if response.status_code >= 400 or existed:
            assert delta == {}, (response.status_code, delta)
            return
        assert response.status_code in (200, 201, 303)
        stored = db.session.scalar(
            select(QuestionnaireResponse).where(
                QuestionnaireResponse.patient_id == phone.patient.id,
                QuestionnaireResponse.idempotency_key == key,
            )
        )
        assert stored is not None
        alerts = db.session.scalar(
            select(func.count())
            .select_from(Alert)
            .where(Alert.questionnaire_response_id == stored.id)
        )
        expected = {
            "QuestionnaireResponse": 1,
            "AuditEvent": 1,
            **({"Alert": alerts} if alerts else {}),
        }
        assert delta == expected

    run()


# --- Push subscription -----------------------------------------------------------------------

b64url = st.binary(min_size=0, max_size=80).map(
    lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
)
good_p256dh = st.binary(min_size=64, max_size=64).map(
    lambda b: base64.urlsafe_b64encode(b"\x04" + b).rstrip(b"=").decode()
)
good_auth = st.binary(min_size=16, max_size=16).map(
    lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
)
endpoints = st.one_of(
    st.sampled_from(
        [
            "https://push.example.net/send/a",
            "https://push.example.net/send/b",
            "http://push.example.net/send/c",
            "https://",
            "ftp://push.example.net/x",
            "https://" + "a" * 1100,
            "http://localhost:9/p",
        ]
    ),
    st.text(max_size=40).map(lambda t: "https://push.example.net/" + t),
    json_values,
)
subscriptions = st.one_of(
    st.fixed_dictionaries(
        {
            "endpoint": endpoints,
            "keys": st.one_of(
                st.fixed_dictionaries(
                    {
                        "p256dh": st.one_of(good_p256dh, b64url, json_values),
                        "auth": st.one_of(good_auth, b64url, json_values),
                    }
                ),
                json_values,
            ),
        },
        optional={"expirationTime": json_values, "unknown": json_values},
    ),
    json_values,
)


def test_a_push_endpoint_with_a_broken_ipv6_address_is_refused_and_nothing_stored(
    phone,  # noqa: ANN001
    db,  # noqa: ANN001
) -> None:
    token = csrf_from(send(phone.client, "GET", "/check-in").text)
    body = {"endpoint": "https://[::1/x", "keys": None}
    before = counts(db)
    response = send(
        phone.client, "POST", "/push/subscription", json=body, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 422
    assert (response.json["error"], response.json["reason"]) == (
        "invalid_subscription",
        "malformed",
    )
    assert changed(before, counts(db)) == {}


def test_push_subscription_never_fails_or_half_writes(phone, db) -> None:  # noqa: ANN001
    token = csrf_from(send(phone.client, "GET", "/check-in").text)

    @examples(400)
    @given(
        body=subscriptions,
        method=st.sampled_from(["POST", "POST", "DELETE"]),
        raw=st.one_of(st.none(), st.binary(max_size=50)),
    )
    def run(body: Any, method: str, raw: bytes | None) -> None:
        before = counts(db)
        headers = {"X-CSRFToken": token}
        if raw is not None:
            kwargs: dict[str, Any] = {"data": raw, "content_type": "application/json"}
        else:
            kwargs = {"json": body}
        response = send(phone.client, method, "/push/subscription", headers=headers, **kwargs)
        delta = changed(before, counts(db))
        if response.status_code >= 400:
            assert delta == {}, (response.status_code, delta)
        elif method == "POST":
            assert response.status_code == 201
            # A new endpoint adds a row; a known one is taken over in place.
            assert delta in ({"AuditEvent": 1}, {"AuditEvent": 1, "PushSubscription": 1})
        elif response.json["removed"]:
            assert delta == {"AuditEvent": 1, "PushSubscription": -1}
        else:
            assert delta == {}

    run()


# --- Clinician forms -------------------------------------------------------------------------

dates = st.one_of(st.dates().map(lambda d: d.isoformat()), wild_text)
clock = st.one_of(st.times().map(lambda t: t.strftime("%H:%M")), wild_text)


def test_new_patient_form_never_fails_or_half_writes(clinician_client, db) -> None:  # noqa: ANN001
    token = csrf_from(send(clinician_client, "GET", "/clinic/patients/new").text)

    @examples(150)
    @given(name=maybe(st.text(min_size=1, max_size=60)), extra=extra_fields)
    def run(name: str | None, extra: dict[str, str]) -> None:
        before = counts(db)
        data = form_of({**extra, "display_name": name, "csrf_token": token})
        response = send(clinician_client, "POST", "/clinic/patients/new", data=data)
        delta = changed(before, counts(db))
        if response.status_code == 303:
            assert delta == {"Patient": 1, "AuditEvent": 1}
        else:
            assert response.status_code == 200 or 400 <= response.status_code < 500
            assert delta == {}, (response.status_code, delta)

    run()


def test_infusion_form_never_fails_or_half_writes(clinician_client, patient, db) -> None:  # noqa: ANN001
    url = f"/clinic/patients/{patient.id}/infusions"
    token = csrf_from(send(clinician_client, "GET", f"/clinic/patients/{patient.id}").text)

    @examples(175)
    @given(day=maybe(dates), started=maybe(clock), ended=maybe(clock), extra=extra_fields)
    def run(day: str | None, started: str | None, ended: str | None, extra: dict[str, str]) -> None:
        before = counts(db)
        data = form_of({**extra, "day": day, "started": started, "ended": ended})
        response = send(clinician_client, "POST", url, data={**data, "csrf_token": token})
        delta = changed(before, counts(db))
        if response.status_code == 303:
            assert delta.pop("Infusion") == 1 and delta.pop("AuditEvent") == 1
            assert set(delta) <= {"Reminder"}  # reminders are planned from the infusion
        else:
            assert 400 <= response.status_code < 500
            assert delta == {}, (response.status_code, delta)

    run()


def test_appointment_form_never_fails_or_half_writes(clinician_client, patient, db) -> None:  # noqa: ANN001
    url = f"/clinic/patients/{patient.id}/appointments"
    token = csrf_from(send(clinician_client, "GET", f"/clinic/patients/{patient.id}").text)
    from aftercare.care.reminder_rules import APPOINTMENT_KINDS

    @examples(175)
    @given(
        kind=maybe(st.sampled_from(sorted(APPOINTMENT_KINDS))),
        day=maybe(st.one_of(st.dates(min_value=date(2027, 1, 1)).map(str), dates)),
        starts=maybe(clock),
        duration=maybe(st.integers(-1000, 1000).map(str)),
        extra=extra_fields,
    )
    def run(
        kind: str | None,
        day: str | None,
        starts: str | None,
        duration: str | None,
        extra: dict[str, str],
    ) -> None:
        before = counts(db)
        data = form_of(
            {**extra, "kind": kind, "day": day, "starts": starts, "duration_minutes": duration}
        )
        response = send(clinician_client, "POST", url, data={**data, "csrf_token": token})
        delta = changed(before, counts(db))
        if response.status_code == 303:
            assert delta.pop("Appointment") == 1 and delta.pop("AuditEvent") == 1
            assert set(delta) <= {"Reminder"}  # reminders are planned before the appointment
        else:
            assert 400 <= response.status_code < 500
            assert delta == {}, (response.status_code, delta)

    run()


# --- Sign-in ---------------------------------------------------------------------------------


def test_sign_in_never_fails_or_half_writes(
    app,
    db,
    clinician,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
) -> None:
    # Sign-in is rate limited (5 failures a minute per account and address, 30 an hour per
    # address); these generated failures would hit that at once. The limiter reads
    # RATELIMIT_ENABLED only when the app is made, so it is switched off on the (shared) limiter
    # itself for this test.
    app.config["RATELIMIT_ENABLED"] = False
    monkeypatch.setattr(limiter, "enabled", False)
    state: dict[str, Any] = {}

    def fresh_client() -> None:
        state["client"] = app.test_client()
        state["token"] = csrf_from(send(state["client"], "GET", "/clinic/login").text)

    fresh_client()
    emails = st.one_of(
        st.just(clinician.email),
        st.just(clinician.email.upper() + "  "),
        st.emails().map(str),
        wild_text,
    )
    passwords = st.one_of(st.just(PASSWORD), wild_text)

    @examples(200)
    @given(email=maybe(emails), password=maybe(passwords), extra=extra_fields)
    def run(email: str | None, password: str | None, extra: dict[str, str]) -> None:
        before = counts(db)
        data = form_of({**extra, "email": email, "password": password})
        response = send(
            state["client"], "POST", "/clinic/login", data={**data, "csrf_token": state["token"]}
        )
        delta = changed(before, counts(db))
        if response.status_code == 302:
            assert re.search(r"/clinic/?$", response.headers["Location"])
            assert delta == {"AuditEvent": 1}
            fresh_client()
        else:
            assert 400 <= response.status_code < 500
            assert delta == {}, (response.status_code, delta)

    run()


# --- Every route, from the URL map: hostile ids, dates, pages, JSON bodies and headers -------
#
# The routes are read from the app's URL map, so a new route is covered the day it is added.
# Each generated request fills the route's parameters by their converter (ids for <int:...>,
# text for tokens, paths for <path:...>), adds query parameters, headers and a body drawn
# from hostile ranges, and is sent as one of the people below. The same requests go to the
# Flask test client and, fewer of them, to `aftercare run` (waitress) in its own process.

ROUTE_PARAMETER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
# Query parameters the app reads somewhere, and a few it does not.
QUERY_NAMES = ["page", "q", "sort", "since", "until", "from", "to", "patient", "actor"]
QUERY_NAMES += ["action", "morning", "v"]
# Those and a few the app does not read, for the generated requests.
READ_QUERY_NAMES = list(QUERY_NAMES)
QUERY_NAMES += ["next", "id", "lang"]
HEADER_NAMES = ["Accept", "Accept-Language", "Origin", "Content-Type", "Referer", "User-Agent"]
HEADER_NAMES += ["If-None-Match", "If-Modified-Since", "Range", "X-Request-ID", "X-CSRFToken"]
HEADER_NAMES += ["X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Accept-Encoding"]
# Signing out with a good token would leave the rest of a run without its clinician.
NOT_WITH_A_GOOD_TOKEN = {"clinic_auth.logout"}
IDENTITIES = ("nobody", "phone", "clinician", "admin")
BYTE_BODY_TYPES = ["application/json", "multipart/form-data", "text/plain"]

HUGE_NUMBERS = [2**31 - 1, 2**31, 2**32, 2**63 - 1, 2**63, 2**64, 10**30, 10**309]
EXTREME_IDS = [0, -1, -(2**31), *HUGE_NUMBERS, *(-n for n in HUGE_NUMBERS)]
ODD_NUMBERS = ["0" * 40 + "7", "9" * 5000, "1e309", "-0", "0x10", "٣", "²", "1_000", "+1"]
extreme_ids = st.sampled_from(EXTREME_IDS)
hostile_numbers = st.one_of(
    extreme_ids.map(str),
    extreme_ids.map(str),
    st.integers().map(str),
    st.sampled_from(ODD_NUMBERS),
)
hostile_dates = st.one_of(
    st.dates().map(date.isoformat),
    st.sampled_from(
        ["9999-12-31", "0001-01-01", "0000-00-00", "2026-02-30", "10000-01-01", "-2026-01-01"]
    ),
    st.sampled_from(["2026-13-01", "2026-1-1", "20260101", "2026-03-08T02:30", "today"]),
)
control_text = st.text(
    st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), min_size=1
)
hostile_text = st.one_of(
    wild_text,
    control_text,
    st.sampled_from(["../../../etc/passwd", "%00", "%0d%0aSet-Cookie:%20a=b", "/\t/evil.example"]),
    st.text(min_size=1000, max_size=5000),
)
hostile_values = st.one_of(hostile_numbers, hostile_dates, hostile_text)


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


hostile_json = st.one_of(
    json_values.map(json.dumps),
    st.sampled_from([deep_json(33), deep_json(2000), "[" * 60_000, '{"a":', "\ufeff{}", "NaN"]),
    st.integers(min_value=0).map(lambda n: json.dumps({"endpoint": "x", "id": n})),
    st.text(max_size=200),
)


@dataclass
class HostileRequest:
    """One generated request, as the test client and a raw HTTP client both can send it."""

    identity: str
    good_token: bool
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes
    content_type: str | None

    def target(self) -> str:
        return self.path + ("?" + urlencode(self.query) if self.query else "")


@dataclass
class Route:
    endpoint: str
    rule: str
    methods: list[str]


def routes_of(app) -> list[Route]:  # noqa: ANN001
    """Every route of the app, with its methods (HEAD and OPTIONS are the server's own)."""
    found = []
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        found.append(Route(rule.endpoint, rule.rule, methods))
    return sorted(found, key=lambda route: (route.rule, route.endpoint))


def without_line_breaks(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")


def person_for(endpoint: str) -> str:
    """Who opens a page: its blueprint says whether it is an admin's, a clinician's or a
    patient's page."""
    blueprint = endpoint.split(".", 1)[0]
    if blueprint == "clinic_admin":
        return "admin"
    if blueprint in CLINIC_BLUEPRINTS:
        return "clinician"
    return "phone" if blueprint in PATIENT_BLUEPRINTS else "nobody"


@st.composite
def hostile_requests(draw: st.DrawFn, routes: list[Route], known: dict[str, list[str]]):  # noqa: ANN201
    """A request to one of `routes`, with hostile parameters; `known` holds real values by
    parameter name (ids, tokens), so that some requests reach real records."""
    route = draw(st.sampled_from(routes))
    # Now and then a method the route does not take.
    method = draw(st.sampled_from([*route.methods * 9, "PUT", "PATCH"]))
    writes = method != "GET"
    good_token = draw(st.booleans()) and route.endpoint not in NOT_WITH_A_GOOD_TOKEN

    def value(converter: str | None, name: str) -> str:
        real = known.get(name, [])
        # Writes get no real ids: a generated request must not delete or disable anyone.
        if real and not writes and draw(st.booleans()):
            return draw(st.sampled_from(real))
        if converter == "int":
            return draw(hostile_numbers)
        if converter == "path":
            return draw(st.one_of(st.sampled_from(["css/app.css", "../app.py"]), hostile_text))
        return draw(hostile_text)

    path = ROUTE_PARAMETER.sub(
        lambda match: quote(value(match.group(1), match.group(2)), safe=""), route.rule
    )
    query = draw(
        st.lists(
            st.tuples(st.sampled_from(QUERY_NAMES) | st.text(max_size=8), hostile_values),
            max_size=4,
        )
    )
    headers = draw(
        st.lists(
            st.tuples(st.sampled_from(HEADER_NAMES), hostile_text.map(without_line_breaks)),
            max_size=4,
        )
    )
    if draw(st.booleans()):
        headers.append(("Accept", draw(st.sampled_from(["application/json", "text/html"]))))
    body, content_type = b"", None
    if method != "GET":
        kind = draw(st.sampled_from(["json", "form", "bytes", "none"]))
        if kind == "json":
            body, content_type = draw(hostile_json).encode(), "application/json"
        elif kind == "form":
            fields = draw(st.lists(st.tuples(st.text(max_size=20), hostile_values), max_size=6))
            body = urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        elif kind == "bytes":
            body = draw(st.binary(max_size=300))
            content_type = draw(
                st.sampled_from(["application/json", "multipart/form-data", "text/plain"])
            )
    return HostileRequest(
        draw(st.sampled_from([person_for(route.endpoint)] * 3 + list(IDENTITIES))),
        good_token,
        method,
        path,
        query,
        headers,
        body,
        content_type,
    )


def with_token(request: HostileRequest, token: str) -> HostileRequest:
    """The request carrying a valid CSRF token, where the app looks for one."""
    if not request.good_token:
        return request
    headers = [*request.headers, ("X-CSRFToken", token)]
    body = request.body
    if request.content_type == "application/x-www-form-urlencoded":
        body = (body + b"&" if body else b"") + urlencode({"csrf_token": token}).encode()
    return replace(request, headers=headers, body=body)


def known_values(ids: dict[str, int], tokens: dict[str, str]) -> dict[str, list[str]]:
    known = {name: [str(value)] for name, value in ids.items()}
    known.update({name: [value] for name, value in tokens.items()})
    known["instrument_id"] = sorted(instruments())
    known["filename"] = ["css/app.css", "js/outbox.js"]
    return known


NEW_PATIENT = "/clinic/patients/new"


@pytest.fixture
def people(app, db, phone, clinician_client, admin_client, patient):  # noqa: ANN001, ANN201
    """The four identities, each with a CSRF token of its own session."""
    appointment = book_appointment(db, patient, "follow_up", timedelta(days=2))
    db.session.commit()
    assert phone.check_in(headache=1).status_code == 303
    nobody = app.test_client()
    clients = {
        "nobody": (nobody, csrf_from(nobody.get("/clinic/login").text)),
        "phone": (phone.client, csrf_from(phone.client.get("/check-in").text)),
        "clinician": (
            clinician_client,
            csrf_from(clinician_client.get("/clinic/patients/new").text),
        ),
        "admin": (admin_client, csrf_from(admin_client.get("/clinic/admin/clinicians").text)),
    }
    check_in = db.session.scalar(select(CheckIn.id))
    ids = {"patient_id": patient.id, "appointment_id": appointment.id, "check_in_id": check_in}
    return clients, known_values(ids, {"token": enrollment_token(db, patient)})


def test_every_route_never_fails_on_hostile_input(app, people) -> None:  # noqa: ANN001
    clients, known = people
    routes = routes_of(app)
    app.config["RATELIMIT_ENABLED"] = False

    @examples(600)
    @given(request=hostile_requests(routes, known))
    def run(request: HostileRequest) -> None:
        client, token = clients[request.identity]
        request = with_token(request, token)
        # A test client's environ holds text as a server decodes bytes: Latin-1.
        headers = [(k, v.encode().decode("latin-1")) for k, v in request.headers]
        kwargs: dict[str, Any] = {"headers": headers}
        if request.body or request.content_type:
            kwargs.update(data=request.body, content_type=request.content_type)
        send(client, request.method, request.target(), **kwargs)

    run()


# The same against the real server: one server for the module, people signed in over HTTP.


@dataclass
class HostileWorld:
    served: Served
    cookies: dict[str, str]
    tokens: dict[str, str]
    routes: list[Route]
    known: dict[str, list[str]]


@pytest.fixture(scope="module")
def hostile_world(databases, tmp_path_factory) -> Iterator[HostileWorld]:  # noqa: ANN001
    from aftercare.clinic import twofactor
    from tests.conftest import add_clinician, add_patient, make_app

    folder = tmp_path_factory.mktemp("hostile")
    url = databases.migrated(folder)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AFTERCARE_DATA_DIR", str(folder / "data"))
        env.setenv("AFTERCARE_SECRET_KEY", "test-secret-key")
        app = make_app(folder, url)
        with app.app_context():
            clinic = Clinic(name="Riverside", timezone="America/New_York", phone="555-0100")
            _db.session.add(clinic)
            _db.session.commit()
            clinician = add_clinician(_db, clinic, "nurse@riverside.test")
            admin = add_clinician(_db, clinic, "admin@riverside.test", role="admin")
            secret = twofactor.new_secret()
            code = pyotp.TOTP(secret).at(datetime.now(UTC) - timedelta(seconds=30))
            twofactor.enable(admin, secret, code)
            _db.session.commit()
            patient = add_patient(_db, clinic, "Alex")
            appointment = book_appointment(_db, patient, "follow_up", timedelta(days=2))
            enrollment = enrollment_token(_db, patient)
            spare = enrollment_token(_db, add_patient(_db, clinic, "Blair"))
            emails = (clinician.email, admin.email)
            ids = {"patient_id": patient.id, "appointment_id": appointment.id}
            known = known_values(ids, {"token": spare})
            _db.session.remove()
            _db.engine.dispose()
        with serve_waitress(url, folder, folder / "waitress.log") as served:
            sessions = {
                "nobody": requests.Session(),
                "phone": linked_phone(served, enrollment),
                "clinician": signed_in(served, emails[0]),
                "admin": signed_in(served, emails[1], secret),
            }
            pages = {"nobody": "/clinic/login", "phone": "/check-in"}
            pages |= {"clinician": "/clinic/patients/new", "admin": "/clinic/admin/clinicians"}
            tokens = {who: page_token(s, served.url + pages[who]) for who, s in sessions.items()}
            cookies = {
                who: "; ".join(f"{c.name}={c.value}" for c in s.cookies)
                for who, s in sessions.items()
            }
            yield HostileWorld(served, cookies, tokens, routes_of(app), known)
    databases.drop(url)


def test_every_route_never_fails_on_hostile_input_over_http(hostile_world) -> None:  # noqa: ANN001
    world = hostile_world
    answered: list[tuple[int, str, str]] = []

    @examples(200)
    @given(request=hostile_requests(world.routes, world.known))
    def run(request: HostileRequest) -> None:
        request = with_token(request, world.tokens[request.identity])
        headers = list(request.headers)
        if world.cookies[request.identity]:
            headers.append(("Cookie", world.cookies[request.identity]))
        if request.content_type:
            headers.append(("Content-Type", request.content_type))
        sent = http_request(request.method, request.target(), headers, request.body)
        REQUESTS["count"] += 1
        status = raw_request(world.served, sent).status
        answered.append((status, request.method, request.target()[:200]))
        assert status < 500, (status, request)

    run()
    # The server answered on its own terms, not only with 400s for unreadable requests.
    assert len({status for status, *_ in answered}) > 3, answered[:20]


# Every query parameter the app reads, on every page, with the values most likely to break it:
# not drawn at random but swept, so that none is missed.

# Far dates, a number past every integer column, and text no keyboard types.
EXTREMES = ["9999-12-31", "0001-01-01", str(10**30), "\x00\u202e" + "a" * 3000]


ID_SWEEP = [*(str(n) for n in EXTREME_IDS), *ODD_NUMBERS, "2147483647"]


def swept_requests(
    routes: list[Route], known: dict[str, list[str]]
) -> Iterator[tuple[str, str, str]]:
    """(person, method, URL): each id of each route set to each extreme value in turn, with
    the route's other ids real; then each query parameter of each page set to each extreme."""

    def path_with(route: Route, name: str, value: str) -> str:
        def fill(match: re.Match) -> str:
            given = value if match.group(2) == name else known.get(match.group(2), ["1"])[0]
            return quote(given, safe="")

        return ROUTE_PARAMETER.sub(fill, route.rule)

    for route in routes:
        person = person_for(route.endpoint)
        ids = [m.group(2) for m in ROUTE_PARAMETER.finditer(route.rule) if m.group(1) == "int"]
        for name in ids:
            for method in route.methods:
                for value in ID_SWEEP:
                    yield person, method, path_with(route, name, value)
        if "GET" not in route.methods:
            continue
        for name in READ_QUERY_NAMES:
            for value in EXTREMES:
                yield person, "GET", f"{path_with(route, '', '')}?{urlencode({name: value})}"


def test_every_id_and_query_parameter_never_fails(app, people) -> None:  # noqa: ANN001
    clients, known = people
    for person, method, url in swept_requests(routes_of(app), known):
        client, token = clients[person]
        # With the person's CSRF token, so that writes reach the view and its id.
        send(client, method, url, headers={"X-CSRFToken": token})


def test_every_id_never_fails_over_http(hostile_world) -> None:  # noqa: ANN001
    world = hostile_world
    answered = {}
    for person, method, url in swept_requests(world.routes, world.known):
        if "?" in url:
            continue  # the query parameters: through the test client above
        headers = [("Cookie", world.cookies[person]), ("X-CSRFToken", world.tokens[person])]
        REQUESTS["count"] += 1
        answered[(person, method, url[:120])] = raw_request(
            world.served, http_request(method, url, headers)
        ).status
    assert [case for case, status in answered.items() if status >= 500] == []
    assert 404 in answered.values()
