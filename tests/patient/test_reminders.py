"""A patient's reminders: push subscriptions for this phone, and calendar files."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from aftercare.models import Appointment, PushSubscription, utcnow
from tests.conftest import csrf_from
from tests.reminders.conftest import allow_services, use_hosts


def valid_keys() -> dict[str, str]:
    point = b"\x04" + bytes(range(64))
    return {
        "p256dh": base64.urlsafe_b64encode(point).rstrip(b"=").decode(),
        "auth": base64.urlsafe_b64encode(bytes(16)).rstrip(b"=").decode(),
    }


def post_subscription(phone, body, token: str | None = None):  # noqa: ANN001, ANN201
    token = token if token is not None else csrf_from(phone.client.get("/check-in").text)
    return phone.client.post("/push/subscription", json=body, headers={"X-CSRFToken": token})


ENDPOINT = "https://push.example.net/send/abc123"
# A public address (documentation ranges are not public): nothing connects to it here.
PUSH_SERVICE_ADDRESS = "93.184.215.14"


@pytest.fixture(autouse=True)
def _push_service(app) -> None:  # noqa: ANN001
    """push.example.net stands in for a browser's push service: allowed, with a public address."""
    allow_services(app, "push.example.net")
    use_hosts(app, {"push.example.net": [PUSH_SERVICE_ADDRESS]})


def test_a_phone_turns_reminders_on_and_off(phone, db, patient):
    response = post_subscription(phone, {"endpoint": ENDPOINT, "keys": valid_keys()})
    assert response.status_code == 201 and response.json == {"reminders": "on"}
    stored = db.session.scalar(select(PushSubscription))
    assert stored.patient_id == patient.id and stored.device_id is not None
    assert 'data-on="true"' in phone.client.get("/today").text

    token = csrf_from(phone.client.get("/check-in").text)
    off = phone.client.delete(
        "/push/subscription", json={"endpoint": ENDPOINT}, headers={"X-CSRFToken": token}
    )
    assert off.status_code == 200 and off.json["removed"] is True
    assert db.session.query(PushSubscription).count() == 0
    assert 'data-on="false"' in phone.client.get("/today").text


def test_subscribing_needs_a_csrf_token(phone, db):
    response = phone.client.post(
        "/push/subscription", json={"endpoint": ENDPOINT, "keys": valid_keys()}
    )
    assert response.status_code == 400
    assert db.session.query(PushSubscription).count() == 0


def test_subscribing_again_keeps_one_row(phone, db):
    for _ in range(2):
        assert (
            post_subscription(phone, {"endpoint": ENDPOINT, "keys": valid_keys()}).status_code
            == 201
        )
    assert db.session.query(PushSubscription).count() == 1


@pytest.mark.parametrize(
    ("body", "reason", "detail"),
    [
        (None, "malformed", "JSON object"),
        (["a"], "malformed", "JSON object"),
        ({"keys": valid_keys()}, "malformed", "endpoint must be"),
        ({"endpoint": "http://push.example.net/x", "keys": valid_keys()}, "scheme", "https://"),
        ({"endpoint": "http://127.0.0.1:9/x", "keys": valid_keys()}, "scheme", "https://"),
        ({"endpoint": "https://" + "a" * 1100, "keys": valid_keys()}, "malformed", "at most 1024"),
        ({"endpoint": "javascript:alert(1)", "keys": valid_keys()}, "malformed", "plain URL"),
        ({"endpoint": ENDPOINT}, "malformed", "keys are missing"),
        ({"endpoint": ENDPOINT, "keys": {**valid_keys(), "p256dh": "AAAA"}}, "malformed", "65"),
        ({"endpoint": ENDPOINT, "keys": {**valid_keys(), "auth": "AAAA"}}, "malformed", "16 bytes"),
        ({"endpoint": ENDPOINT, "keys": {**valid_keys(), "auth": "%%%"}}, "malformed", "base64url"),
        (
            {"endpoint": ENDPOINT, "keys": {**valid_keys(), "p256dh": 7}},
            "malformed",
            "missing or too long",
        ),
    ],
)
def test_a_malformed_subscription_is_refused_with_a_clear_error(phone, db, body, reason, detail):
    response = post_subscription(phone, body)
    assert response.status_code == 422
    assert response.json["reason"] == reason
    assert detail in response.json["detail"]
    assert response.json["message"]  # what the page shows the patient
    assert db.session.query(PushSubscription).count() == 0


def test_a_phone_cannot_remove_another_phones_subscription(phone, second_phone, db):
    post_subscription(phone, {"endpoint": ENDPOINT, "keys": valid_keys()})
    token = csrf_from(second_phone.client.get("/check-in").text)
    response = second_phone.client.delete(
        "/push/subscription", json={"endpoint": ENDPOINT}, headers={"X-CSRFToken": token}
    )
    assert response.json["removed"] is False
    assert db.session.query(PushSubscription).count() == 1


def test_an_unenrolled_browser_cannot_subscribe(client, db):
    response = client.post(
        "/push/subscription",
        json={"endpoint": ENDPOINT, "keys": valid_keys()},
        headers={"Accept": "application/json"},
    )
    assert response.status_code in (400, 401)
    assert db.session.query(PushSubscription).count() == 0


def book(db, patient, hours: float = 30, kind: str = "infusion") -> Appointment:  # noqa: ANN001
    appointment = Appointment(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind=kind,
        starts_at=utcnow() + timedelta(hours=hours),
        duration_minutes=60,
    )
    db.session.add(appointment)
    db.session.commit()
    return appointment


def test_upcoming_appointments_are_on_today_with_a_calendar_file(phone, db, patient):
    appointment = book(db, patient)
    page = phone.client.get("/today").text
    assert "Your next appointment" in page and "Infusion" in page
    assert f"/appointments/{appointment.id}.ics" in page

    response = phone.client.get(f"/appointments/{appointment.id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = Calendar.from_ical(response.data)
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == appointment.starts_at.replace(microsecond=0)
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=60)
    assert "Infusion" in str(event["summary"])
    [alarm] = event.walk("VALARM")
    assert alarm["action"] == "DISPLAY"
    assert alarm.decoded("trigger") == timedelta(hours=-2)


def test_cancelled_and_other_patients_appointments_are_not_shown(phone, second_phone, db, patient):
    appointment = book(db, patient)
    assert second_phone.client.get(f"/appointments/{appointment.id}.ics").status_code == 404
    appointment.cancelled_at = utcnow()
    db.session.commit()
    assert phone.client.get(f"/appointments/{appointment.id}.ics").status_code == 404
    assert "Your next appointment" not in phone.client.get("/today").text
