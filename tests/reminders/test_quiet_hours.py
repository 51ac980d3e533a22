"""Quiet hours through the real sender: nothing between 9 PM and 8 AM on the clinic's clock,
except a reminder of an appointment less than two hours away."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from aftercare.models import Appointment, Delivery, Reminder, utcnow
from aftercare.reminders.rows import plan_appointment
from aftercare.reminders.sender import send_due_reminders
from tests.reminders.conftest import add_reminder, next_clock_time, subscribe

WEEK = timedelta(days=7)


def fresh(db, reminder: Reminder) -> Reminder:  # noqa: ANN001
    db.session.expire_all()
    return db.session.get(Reminder, reminder.id)


def test_a_reminder_due_at_11_pm_waits_until_8_am(push_app, db, patient, receiver):
    subscription = subscribe(db, patient, receiver)
    eleven = next_clock_time(patient.clinic, 23)
    eight = next_clock_time(patient.clinic, 8, after=eleven)
    reminder = add_reminder(
        db, patient, due=eleven, expires=eleven + WEEK, kind="questionnaire_pcl5"
    )

    summary = send_due_reminders(now=eleven + timedelta(seconds=30))

    assert (summary.claimed, summary.held, summary.pushes) == (1, 1, 0)
    assert receiver.attempts() == []
    held = fresh(db, reminder)
    assert (held.state, held.next_attempt_at, held.attempts) == ("pending", eight, 0)
    # Given back unsent, so it does not look like a sender that died mid-send.
    assert held.claims == 0
    assert send_due_reminders(now=eight - timedelta(hours=5)).claimed == 0  # 3 AM

    summary = send_due_reminders(now=eight + timedelta(seconds=5))

    assert (summary.delivered, summary.held) == (1, 0)
    [message] = receiver.wait_for(1, endpoint=subscription.endpoint)
    assert json.loads(message.payload)["tag"] == f"reminder-{reminder.id}"
    assert fresh(db, reminder).state == "delivered"


def test_the_clinic_sees_why_a_reminder_waits(push_app, db, patient, receiver, clinician_client):
    subscribe(db, patient, receiver)
    eleven = next_clock_time(patient.clinic, 23)
    add_reminder(db, patient, due=eleven, expires=eleven + WEEK, kind="questionnaire_pcl5")
    send_due_reminders(now=eleven + timedelta(seconds=30))
    page = clinician_client.get(f"/clinic/patients/{patient.id}").text
    assert "Waits for the clinic's quiet hours to end: 08:00" in page


def test_an_appointment_at_00_30_is_reminded_at_once_and_the_rest_waits(
    push_app, db, patient, receiver
):
    subscribe(db, patient, receiver)
    # Booked more than a day ahead, so that both its reminders (24 and 2 hours) are planned.
    starts = next_clock_time(patient.clinic, 0, 30, after=utcnow() + timedelta(days=1))
    appointment = Appointment(
        clinic_id=patient.clinic_id, patient_id=patient.id, kind="follow_up", starts_at=starts
    )
    db.session.add(appointment)
    db.session.flush()
    plan_appointment(appointment)
    db.session.commit()
    planned = {
        r.kind: r
        for r in db.session.scalars(
            select(Reminder).where(Reminder.appointment_id == appointment.id)
        )
    }
    day_before, two_hours = planned["before_24h"], planned["before_2h"]
    questionnaire = add_reminder(
        db,
        patient,
        due=starts - timedelta(minutes=90),
        expires=starts + WEEK,
        kind="questionnaire_phq9",
    )

    # 00:30 the night before: the appointment is a day away, so its reminder waits for 8 AM.
    send_due_reminders(now=day_before.due_at + timedelta(seconds=30))
    eight = next_clock_time(patient.clinic, 8, after=day_before.due_at)
    assert fresh(db, day_before).next_attempt_at == eight
    send_due_reminders(now=eight + timedelta(seconds=5))
    assert fresh(db, day_before).state == "delivered"

    # 10:30 PM: the appointment is two hours away; quiet hours do not hold its reminder.
    summary = send_due_reminders(now=two_hours.due_at + timedelta(seconds=30))
    assert (summary.delivered, summary.held) == (1, 0)
    assert fresh(db, two_hours).state == "delivered"
    body = json.loads(receiver.messages()[-1].payload)["body"]
    assert body.startswith("You have an appointment tomorrow at 12:30")

    # 11 PM: a questionnaire is no reason to wake anyone; it waits until 8 AM.
    summary = send_due_reminders(now=questionnaire.due_at + timedelta(seconds=30))
    assert (summary.delivered, summary.held) == (0, 1)
    assert fresh(db, questionnaire).next_attempt_at == next_clock_time(
        patient.clinic, 8, after=questionnaire.due_at
    )
    assert len(receiver.messages()) == 2


def test_a_night_of_waiting_does_not_use_up_the_retry_window(push_app, db, patient, receiver):
    subscription = subscribe(db, patient, receiver)
    receiver.script(subscription.endpoint, [503, 201])
    eleven = next_clock_time(patient.clinic, 23)
    eight = next_clock_time(patient.clinic, 8, after=eleven)
    reminder = add_reminder(
        db, patient, due=eleven, expires=eleven + WEEK, kind="questionnaire_pcl5"
    )
    send_due_reminders(now=eleven)
    # At 8 AM it is nine hours past its due time, more than the six hours of retrying; the
    # window counts from the end of quiet hours, so the busy push service is tried again.
    assert eight - eleven > timedelta(hours=push_app.config["PUSH_RETRY_HOURS"])

    send_due_reminders(now=eight)

    retried = fresh(db, reminder)
    assert (retried.state, retried.attempts) == ("pending", 1)
    send_due_reminders(now=retried.next_attempt_at)
    assert fresh(db, reminder).state == "delivered"
    outcomes = db.session.scalars(
        select(Delivery.outcome).where(Delivery.reminder_id == reminder.id).order_by(Delivery.id)
    ).all()
    assert outcomes == ["retry", "delivered"]


def test_a_clinic_chooses_its_own_quiet_hours(push_app, db, patient, clinic, receiver):
    clinic.content = {"reminders": {"quiet_start": 23, "quiet_end": 6}}
    db.session.commit()
    subscribe(db, patient, receiver)
    ten = next_clock_time(clinic, 22)
    early = add_reminder(db, patient, due=ten, expires=ten + WEEK, kind="questionnaire_pcl5")
    late = add_reminder(
        db, patient, due=ten + timedelta(minutes=90), expires=ten + WEEK, kind="questionnaire_phq9"
    )

    assert send_due_reminders(now=ten + timedelta(seconds=5)).delivered == 1
    assert send_due_reminders(now=ten + timedelta(minutes=91)).held == 1

    assert fresh(db, early).state == "delivered"
    assert fresh(db, late).next_attempt_at == next_clock_time(clinic, 6, after=ten)
