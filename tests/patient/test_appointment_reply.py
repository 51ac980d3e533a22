"""The phone answers an appointment: "I'll be there" or "I need another time", from a
notification's button or Today's, through the outbox: kept once however often it is sent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from aftercare.models import Appointment, AuditEvent, utcnow
from tests.conftest import book_appointment, csrf_from

JSON = {"Accept": "application/json"}


def booked(db, patient, days: float = 2) -> Appointment:  # noqa: ANN001
    appointment = book_appointment(db, patient, "follow_up", timedelta(days=days))
    db.session.commit()
    return appointment


def fresh(db, appointment: Appointment) -> Appointment:  # noqa: ANN001
    db.session.expire_all()
    return db.session.get(Appointment, appointment.id)


def answer(phone, appointment: Appointment, reply: str, **fields: str):  # noqa: ANN001, ANN201
    token = csrf_from(phone.client.get("/today").text)
    form = {"csrf_token": token, "reply": reply, "channel": "notification"}
    form.update(fields)
    return phone.client.post(f"/appointments/{appointment.id}/reply", data=form, headers=JSON)


def audited(db) -> list[AuditEvent]:  # noqa: ANN001
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "appointment.reply")
    ).all()


def test_an_answer_sent_twice_is_kept_once(db, phone):
    appointment = booked(db, phone.patient)
    filled = (utcnow() - timedelta(minutes=5)).isoformat()

    first = answer(phone, appointment, "confirmed", idempotency_key="k" * 32, filled_at=filled)
    again = answer(phone, appointment, "confirmed", idempotency_key="k" * 32, filled_at=filled)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["result_url"] == "/today?answered=confirmed#next-heading"
    kept = fresh(db, appointment)
    assert (kept.reply, kept.reply_channel) == ("confirmed", "notification")
    assert kept.replied_at.isoformat() == filled  # when the patient tapped, not when it came
    [event] = audited(db)
    assert event.detail == {
        "appointment_id": appointment.id,
        "reply": "confirmed",
        "channel": "notification",
    }


def test_a_tap_queued_offline_does_not_undo_a_later_one(db, phone):
    appointment = booked(db, phone.patient)
    earlier = (utcnow() - timedelta(hours=1)).isoformat()
    later = (utcnow() - timedelta(minutes=1)).isoformat()

    answer(phone, appointment, "needs_new_time", channel="app", filled_at=later)
    late_arrival = answer(phone, appointment, "confirmed", filled_at=earlier)

    assert late_arrival.status_code == 200
    assert fresh(db, appointment).reply == "needs_new_time"
    assert len(audited(db)) == 1


def test_junk_is_refused_and_nothing_is_kept(db, phone):
    appointment = booked(db, phone.patient)
    cases = [
        {"reply": "maybe"},
        {"reply": ""},
        {"reply": "confirmed", "channel": "email"},  # only the email's own link says email
        {"reply": "confirmed", "channel": "sms"},
        {"reply": "confirmed", "idempotency_key": "no spaces allowed"},
        {"reply": "confirmed", "filled_at": "yesterday"},
        {"reply": "confirmed", "filled_at": "2999-01-01T00:00:00+00:00"},
        {"reply": "confirmed\r\nX: y"},
    ]
    statuses = [answer(phone, appointment, **case).status_code for case in cases]
    assert statuses == [422] * len(cases)
    plain = phone.client.post(
        f"/appointments/{appointment.id}/reply",
        data={"csrf_token": csrf_from(phone.client.get("/today").text), "reply": "maybe"},
    )
    assert plain.status_code == 422 and "Your answer could not be sent." in plain.text
    no_token = phone.client.post(
        f"/appointments/{appointment.id}/reply", data={"reply": "confirmed"}, headers=JSON
    )
    assert (no_token.status_code, no_token.get_json()["error"]) == (400, "csrf")
    assert fresh(db, appointment).reply is None
    assert audited(db) == []


def test_another_patients_appointment_does_not_exist_for_this_phone(db, phone, second_patient):
    theirs = booked(db, second_patient)
    response = answer(phone, theirs, "needs_new_time")
    assert response.status_code == 404
    assert fresh(db, theirs).reply is None


def test_a_cancelled_or_past_appointment_keeps_no_answer(db, phone):
    cancelled = booked(db, phone.patient)
    cancelled.cancelled_at = utcnow()
    past = booked(db, phone.patient, days=-1)
    db.session.commit()
    # Answered (the outbox stops sending it), but nothing is kept: it can no longer help.
    assert answer(phone, cancelled, "confirmed").status_code == 200
    assert answer(phone, past, "confirmed").status_code == 200
    assert fresh(db, cancelled).reply is None and fresh(db, past).reply is None


def test_today_offers_both_answers_then_says_what_the_clinic_has(db, phone):
    appointment = booked(db, phone.patient)
    page = phone.client.get("/today").text
    assert f'action="/appointments/{appointment.id}/reply"' in page
    assert "I'll be there" in page and "I need another time" in page

    # Without JavaScript the buttons post the plain way, and Today shows the answer.
    posted = phone.client.post(
        f"/appointments/{appointment.id}/reply",
        data={"csrf_token": csrf_from(page), "reply": "needs_new_time", "channel": "app"},
    )
    assert posted.status_code == 303
    page = phone.client.get(posted.headers["Location"]).text
    assert "You asked your clinic for another time. They will contact you." in page
    assert 'value="needs_new_time"' not in page and 'value="confirmed"' in page
    assert fresh(db, appointment).reply_channel == "app"
