"""Reminders due within the same hour reach the phone as one push, through the real sender
and the local push service, and each of them is recorded as delivered by it."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from aftercare.models import Delivery, Reminder
from aftercare.questionnaires.due import course_of
from aftercare.reminders.rows import plan_questionnaires
from aftercare.reminders.sender import claim_due, send_due_reminders
from tests.reminders.conftest import add_reminder, next_clock_time, subscribe

LEASE = timedelta(seconds=120)


def questionnaire_reminders(db, patient) -> list[Reminder]:  # noqa: ANN001
    """Plan the patient's questionnaires as recording their infusion does; the first three,
    due together the morning after."""
    plan_questionnaires(patient, course_of(patient))
    db.session.commit()
    planned = db.session.scalars(
        select(Reminder).where(Reminder.patient_id == patient.id).order_by(Reminder.due_at)
    ).all()
    first = [r for r in planned if r.due_at == planned[0].due_at]
    assert sorted(r.kind for r in first) == [
        "questionnaire_gad7",
        "questionnaire_pcl5",
        "questionnaire_phq9",
    ]
    return first


def deliveries(db, reminders: list[Reminder]) -> list[Delivery]:  # noqa: ANN001
    return db.session.scalars(
        select(Delivery)
        .where(Delivery.reminder_id.in_([r.id for r in reminders]))
        .order_by(Delivery.reminder_id)
    ).all()


def refreshed(db, reminders: list[Reminder]) -> list[Reminder]:  # noqa: ANN001
    db.session.expire_all()
    return [db.session.get(Reminder, r.id) for r in reminders]


def test_three_questionnaires_due_together_reach_the_phone_as_one_push(
    push_app, db, patient, receiver
):
    subscription = subscribe(db, patient, receiver)
    three = questionnaire_reminders(db, patient)

    summary = send_due_reminders(now=three[0].due_at + timedelta(seconds=30))

    assert (summary.claimed, summary.pushes, summary.delivered) == (3, 1, 3)
    [message] = receiver.wait_for(1)
    payload = json.loads(message.payload)
    assert payload["title"] == "A few questions for your care team"
    assert payload["body"] == "3 short questionnaires are ready. Tap to start."
    assert payload["url"] == "/today"  # where every questionnaire due is listed
    assert payload["tag"].startswith("reminders-")
    assert message.topic == "g" + payload["tag"].removeprefix("reminders-")
    # Each of the three is delivered, by that one push: the clinic's log says so for each.
    assert {r.state for r in refreshed(db, three)} == {"delivered"}
    rows = deliveries(db, three)
    assert [(d.reminder_id, d.subscription_id, d.status_code, d.outcome) for d in rows] == [
        (r.id, subscription.id, 201, "delivered") for r in sorted(three, key=lambda r: r.id)
    ]
    assert len({d.sent_at for d in rows}) == 1
    # And none is ever sent again.
    assert send_due_reminders(now=three[0].due_at + timedelta(hours=2)).claimed == 0
    assert len(receiver.messages()) == 1


def test_a_spanish_patient_is_told_in_spanish(push_app, db, patient, receiver):
    patient.language = "es"
    subscribe(db, patient, receiver)
    three = questionnaire_reminders(db, patient)

    send_due_reminders(now=three[0].due_at + timedelta(seconds=30))

    [message] = receiver.wait_for(1)
    payload = json.loads(message.payload)
    assert payload["title"] == "Unas preguntas para su equipo de atención médica"
    assert payload["body"] == "Hay 3 cuestionarios cortos listos. Toque aquí para empezar."


def test_a_questionnaire_due_within_the_hour_goes_with_the_first_and_never_again(
    push_app, db, patient, receiver
):
    subscribe(db, patient, receiver)
    due = next_clock_time(patient.clinic, 10)
    first = add_reminder(
        db, patient, due=due, expires=due + timedelta(days=7), kind="questionnaire_pcl5"
    )
    later = add_reminder(
        db,
        patient,
        due=due + timedelta(minutes=40),
        expires=due + timedelta(days=7),
        kind="questionnaire_phq9",
    )
    not_within = add_reminder(
        db,
        patient,
        due=due + timedelta(hours=1),
        expires=due + timedelta(days=7),
        kind="questionnaire_gad7",
    )

    summary = send_due_reminders(now=due + timedelta(seconds=5))

    assert (summary.claimed, summary.pushes, summary.delivered) == (2, 1, 2)
    [message] = receiver.wait_for(1)
    assert json.loads(message.payload)["body"] == "2 short questionnaires are ready. Tap to start."
    first, later, not_within = refreshed(db, [first, later, not_within])
    assert (first.state, later.state, not_within.state) == ("delivered", "delivered", "pending")
    assert not_within.claims == 0
    # At its own time the one that was not taken goes alone; the other is not sent again.
    summary = send_due_reminders(now=due + timedelta(minutes=41))
    assert summary.claimed == 0
    summary = send_due_reminders(now=due + timedelta(hours=1, seconds=5))
    assert (summary.claimed, summary.delivered) == (1, 1)
    assert json.loads(receiver.messages()[-1].payload)["tag"] == f"reminder-{not_within.id}"


def test_an_appointment_reminder_keeps_its_own_push_beside_the_questionnaires(
    push_app, db, patient, receiver
):
    subscribe(db, patient, receiver)
    due = next_clock_time(patient.clinic, 10)
    appointment = add_reminder(
        db, patient, due=due, expires=due + timedelta(hours=24), kind="before_24h"
    )
    questionnaires = [
        add_reminder(
            db, patient, due=due, expires=due + timedelta(days=7), kind=f"questionnaire_{i}"
        )
        for i in ("pcl5", "phq9")
    ]

    summary = send_due_reminders(now=due + timedelta(seconds=5))

    assert (summary.pushes, summary.delivered) == (2, 3)
    payloads = sorted((json.loads(m.payload) for m in receiver.wait_for(2)), key=lambda p: p["tag"])
    assert payloads[0]["tag"] == f"reminder-{appointment.id}"
    assert payloads[0]["body"] == "You have an appointment today at 3:00 PM."
    assert payloads[1]["body"] == "2 short questionnaires are ready. Tap to start."
    assert {r.state for r in refreshed(db, questionnaires)} == {"delivered"}


def test_a_phone_that_already_had_one_is_sent_the_others_counted_anew(
    push_app, db, patient, receiver
):
    had_it = subscribe(db, patient, receiver)
    missed_it = subscribe(db, patient, receiver)
    receiver.script(missed_it.endpoint, [503, 201])
    due = next_clock_time(patient.clinic, 10)
    week = timedelta(days=7)
    pcl5 = add_reminder(db, patient, due=due, expires=due + week, kind="questionnaire_pcl5")
    send_due_reminders(now=due)  # the PCL-5 reaches one phone; the other is busy
    retry_at = refreshed(db, [pcl5])[0].next_attempt_at
    others = [
        add_reminder(db, patient, due=retry_at, expires=due + week, kind=f"questionnaire_{i}")
        for i in ("phq9", "gad7")
    ]

    summary = send_due_reminders(now=retry_at + timedelta(seconds=1))

    assert summary.pushes == 2
    bodies = {
        endpoint: [json.loads(m.payload)["body"] for m in receiver.messages(endpoint)]
        for endpoint in (had_it.endpoint, missed_it.endpoint)
    }
    assert bodies == {
        had_it.endpoint: [
            "Tap to answer a short questionnaire.",
            "2 short questionnaires are ready. Tap to start.",
        ],
        missed_it.endpoint: ["3 short questionnaires are ready. Tap to start."],
    }
    assert {r.state for r in refreshed(db, [pcl5, *others])} == {"delivered"}
    delivered = [
        (d.reminder_id, d.subscription_id)
        for d in deliveries(db, [pcl5, *others])
        if d.outcome == "delivered"
    ]
    # Each reminder reached each phone once.
    assert sorted(delivered) == sorted(
        (r.id, s.id) for r in (pcl5, *others) for s in (had_it, missed_it)
    )


def test_a_reminder_another_sender_holds_is_never_taken_to_join(push_app, db, patient, receiver):
    subscribe(db, patient, receiver)
    due = next_clock_time(patient.clinic, 10)
    week = timedelta(days=7)
    held = add_reminder(db, patient, due=due, expires=due + week, kind="questionnaire_phq9")
    # Another scheduler claimed it, and is still sending it.
    assert claim_due(due, 10, timedelta(hours=1), worker="another") == [held.id]
    mine = add_reminder(
        db, patient, due=due + timedelta(minutes=10), expires=due + week, kind="questionnaire_pcl5"
    )

    summary = send_due_reminders(now=due + timedelta(minutes=10, seconds=1))

    assert (summary.claimed, summary.pushes) == (1, 1)
    [message] = receiver.wait_for(1)
    assert json.loads(message.payload)["tag"] == f"reminder-{mine.id}"
    held = refreshed(db, [held])[0]
    assert (held.state, held.claimed_by, held.claims) == ("sending", "another", 1)
