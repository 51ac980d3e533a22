"""NUL characters in requests: dropped from text, on SQLite and PostgreSQL alike (never a 500)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from aftercare.models import CheckIn, PushSubscription
from tests.conftest import csrf_from


def test_a_check_in_note_with_a_nul_arrives_whole_without_it(phone, db):
    token = csrf_from(phone.client.get("/check-in").text)
    key = str(uuid.uuid4())
    response = phone.client.post(
        "/check-in",
        data={"note": "dizzy\x00 but fine", "idempotency_key": key, "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert response.status_code in (200, 201), response.text
    stored = db.session.scalar(select(CheckIn).where(CheckIn.idempotency_key == key))
    assert stored.note == "dizzy but fine"


def test_a_push_subscription_with_nul_characters_is_refused_cleanly(phone, db):
    token = csrf_from(phone.client.get("/check-in").text)
    body = {"endpoint": "https://push.invalid/\x00x", "keys": {"p256dh": "\x00", "auth": "\x00"}}
    response = phone.client.post("/push/subscription", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 422
    assert db.session.scalar(select(PushSubscription)) is None


def test_a_search_with_a_nul_character_is_answered(clinician_client):
    response = clinician_client.get("/clinic/?q=Al\x00ex&sort=name\x00")
    assert response.status_code == 200
