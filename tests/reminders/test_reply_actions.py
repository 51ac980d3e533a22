"""An appointment's reminder carries its two answers as notification actions, through the real
sender and the local push service: in the patient's language, naming the appointment by id and
nothing else, and only when the notification is about exactly one appointment."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from aftercare.models import Reminder
from aftercare.reminders.reply_actions import one_appointment
from aftercare.reminders.sender import send_due_reminders
from tests.reminders.conftest import add_reminder, subscribe
from tests.reminders.test_email import booked, quiet_hours_away_from_now

ACTIONS_EN = [
    {"action": "confirmed", "title": "I'll be there"},
    {"action": "needs_new_time", "title": "I need another time"},
]


def about(db, reminder: Reminder, appointment_id: int) -> Reminder:  # noqa: ANN001
    reminder.appointment_id = appointment_id
    db.session.commit()
    return reminder


def pushed(receiver) -> dict:  # noqa: ANN001
    send_due_reminders()
    [message] = receiver.wait_for(1)
    return json.loads(message.payload)


def test_an_appointment_reminder_offers_both_answers(push_app, db, patient, receiver):
    subscribe(db, patient, receiver)
    appointment = booked(db, patient)
    about(db, add_reminder(db, patient), appointment.id)

    payload = pushed(receiver)

    assert payload["appointment"] == appointment.id
    assert payload["actions"] == ACTIONS_EN
    # Nothing personal: no name, no clinic notes; the lock screen shows the title and body.
    assert patient.display_name not in json.dumps(payload)
    assert set(payload) == {"title", "body", "url", "tag", "appointment", "actions"}


def test_the_answers_are_in_the_patients_language(push_app, db, patient, receiver):
    patient.language = "es"
    subscribe(db, patient, receiver)
    appointment = booked(db, patient)
    about(db, add_reminder(db, patient), appointment.id)

    payload = pushed(receiver)

    assert [a["title"] for a in payload["actions"]] == ["Asistiré", "Necesito otro horario"]


def test_two_appointments_due_together_each_get_their_own_answers(push_app, db, patient, receiver):
    # An appointment's reminder always goes alone (care/reminder_sending.py), so each
    # notification answers the one appointment it names.
    subscribe(db, patient, receiver)
    first, second = booked(db, patient, days=2), booked(db, patient, days=3)
    about(db, add_reminder(db, patient), first.id)
    about(db, add_reminder(db, patient, kind="before_24h"), second.id)

    send_due_reminders()

    payloads = [json.loads(m.payload) for m in receiver.wait_for(2)]
    assert sorted(p["appointment"] for p in payloads) == sorted([first.id, second.id])
    assert all(p["actions"] == ACTIONS_EN for p in payloads)


def row(appointment_id: int | None, kind: str) -> SimpleNamespace:
    return SimpleNamespace(appointment_id=appointment_id, kind=kind)


@pytest.mark.parametrize(
    ("carried", "answers"),
    [
        ([row(7, "before_2h")], 7),
        ([row(7, "before_24h"), row(7, "before_2h")], 7),  # one appointment, twice
        ([row(7, "before_2h"), row(None, "questionnaire_phq9")], 7),
        ([row(7, "before_2h"), row(8, "before_2h")], None),  # which would a button answer?
        ([row(None, "questionnaire_phq9"), row(None, "check_in_evening")], None),
        ([row(None, "questionnaire_phq9")], None),
    ],
)
def test_a_message_answers_an_appointment_only_if_it_is_about_exactly_one(carried, answers):
    assert one_appointment(carried) == answers


def test_a_reminder_about_no_appointment_offers_no_answers(push_app, db, patient, receiver):
    quiet_hours_away_from_now(patient)
    subscribe(db, patient, receiver)
    add_reminder(db, patient, kind="questionnaire_phq9")

    payload = pushed(receiver)

    assert "actions" not in payload and "appointment" not in payload
