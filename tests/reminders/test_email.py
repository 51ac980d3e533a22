"""Reminders by email, to a real SMTP server on loopback: who gets one, what it says, once.

Every message is parsed back with the standard `email` package, as a mail app would read it.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select

from aftercare.models import Appointment, Delivery, Reminder, utcnow
from aftercare.reminders.rows import plan_appointment
from aftercare.reminders.sender import PUSH_GRACE, send_due_reminders
from tests.reminders.conftest import add_email, add_reminder, next_clock_time, subscribe
from tests.reminders.test_processes import AFTERCARE, environment, many_reminders, states

WEEK = timedelta(days=7)


def fresh(db, reminder: Reminder) -> Reminder:  # noqa: ANN001
    db.session.expire_all()
    return db.session.get(Reminder, reminder.id)


def channels(db, reminder: Reminder) -> list[tuple[str, str]]:  # noqa: ANN001
    """Each delivery of the reminder: (channel, outcome), in order."""
    return [
        (d.channel, d.outcome)
        for d in db.session.scalars(
            select(Delivery).where(Delivery.reminder_id == reminder.id).order_by(Delivery.id)
        )
    ]


def booked(db, patient, days: float = 2) -> Appointment:  # noqa: ANN001
    """A follow-up booked ahead, with its reminders planned in the patient's language."""
    appointment = Appointment(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind="follow_up",
        starts_at=next_clock_time(patient.clinic, 15, after=utcnow() + timedelta(days=days)),
    )
    db.session.add(appointment)
    db.session.flush()
    plan_appointment(appointment)
    db.session.commit()
    return appointment


def quiet_hours_away_from_now(patient) -> None:  # noqa: ANN001
    """Quiet hours elsewhere in the clinic's day, so a test sends whatever the time of its run."""
    from zoneinfo import ZoneInfo

    hour = utcnow().astimezone(ZoneInfo(patient.clinic.timezone)).hour
    patient.clinic.content = {
        "reminders": {"quiet_start": (hour + 2) % 24, "quiet_end": (hour + 3) % 24}
    }


def test_an_email_only_patient_gets_one_email_in_spanish_with_the_appointment(
    email_app, db, patient, mail_server
):
    patient.language = "es"
    patient.clinic.phone = "555-0100"
    add_email(db, patient, "alex@example.org")
    appointment = booked(db, patient)
    reminder = db.session.scalars(
        select(Reminder).where(
            Reminder.appointment_id == appointment.id, Reminder.kind == "before_24h"
        )
    ).one()

    summary = send_due_reminders(now=reminder.due_at + timedelta(seconds=5))

    assert (summary.delivered, summary.pushes, summary.emails) == (1, 0, 1)
    [mail] = mail_server.wait_for(1)
    message = mail.message
    assert mail.rcpt_tos == ["alex@example.org"]
    assert message["To"] == "alex@example.org"
    assert message["From"].addresses[0].addr_spec == "reminders@aftercare.test"
    # The subject is the lock-screen title: no name, no treatment.
    assert message["Subject"] == reminder.title
    assert patient.display_name not in message["Subject"]
    assert "ketamine" not in message["Subject"].lower()
    assert message["Content-Language"] == "es"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http://aftercare.test/email/unsubscribe/")
    text, html = mail.text, mail.html
    assert reminder.body in text and reminder.body in html
    assert "Abrir Aftercare: http://aftercare.test/today" in text
    assert 'href="http://aftercare.test/today"' in html
    assert patient.clinic.name in text and "555-0100" in text
    assert unsubscribe in text and f'href="{unsubscribe}"' in html
    [ics] = mail.attachments()
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_filename() == f"appointment-{appointment.id}.ics"
    [event] = Calendar.from_ical(ics.get_content()).walk("VEVENT")
    assert event.decoded("dtstart") == appointment.starts_at
    assert str(event["summary"]).startswith("Consulta de seguimiento")
    assert channels(db, reminder) == [("email", "delivered")]
    assert fresh(db, reminder).state == "delivered"


def test_a_push_only_patient_gets_no_email(email_app, db, patient, receiver, mail_server):
    subscribe(db, patient, receiver)
    add_email(db, patient, verified=False)  # not verified: not used
    reminder = add_reminder(db, patient)

    summary = send_due_reminders()

    assert (summary.delivered, summary.pushes, summary.emails) == (1, 1, 0)
    assert mail_server.messages() == []
    assert channels(db, reminder) == [("push", "delivered")]


def test_a_patient_who_chose_both_gets_one_push_and_one_email(
    email_app, db, patient, receiver, mail_server
):
    subscribe(db, patient, receiver)
    add_email(db, patient, always=True)
    reminder = add_reminder(db, patient)

    summary = send_due_reminders()

    assert (summary.delivered, summary.pushes, summary.emails) == (1, 1, 1)
    assert len(receiver.wait_for(1)) == 1
    [mail] = mail_server.wait_for(1)
    assert mail.message["Subject"] == "Appointment reminder"
    assert sorted(channels(db, reminder)) == [("email", "delivered"), ("push", "delivered")]
    # Nothing more on either channel, however often the sender runs.
    send_due_reminders(now=utcnow() + timedelta(hours=1))
    assert len(receiver.messages()) == 1 and len(mail_server.messages()) == 1


def test_push_gone_410_falls_back_to_email(email_app, db, patient, receiver, mail_server):
    subscription = subscribe(db, patient, receiver)
    receiver.script(subscription.endpoint, [410])
    add_email(db, patient)
    reminder = add_reminder(db, patient)

    send_due_reminders()

    # Not failed: it waits for the email, which goes on the next pass.
    assert fresh(db, reminder).state == "pending"
    assert mail_server.messages() == []
    summary = send_due_reminders()

    assert (summary.delivered, summary.pushes, summary.emails) == (1, 0, 1)
    [mail] = mail_server.wait_for(1)
    assert "You have an appointment today at 3:00 PM." in mail.text
    assert channels(db, reminder) == [("push", "gone"), ("email", "delivered")]
    assert fresh(db, reminder).state == "delivered"


def test_push_not_through_within_its_grace_goes_by_email_too(
    email_app, db, patient, receiver, mail_server
):
    quiet_hours_away_from_now(patient)
    subscription = subscribe(db, patient, receiver)
    receiver.script(subscription.endpoint, [503, 503, 503])
    add_email(db, patient)
    due = utcnow() - timedelta(seconds=5)
    reminder = add_reminder(db, patient, due=due, expires=due + timedelta(hours=24))

    send_due_reminders(now=due + timedelta(seconds=10))
    assert mail_server.messages() == []  # push is retrying, within its grace
    summary = send_due_reminders(now=due + PUSH_GRACE + timedelta(seconds=1))

    assert summary.emails == 1
    assert len(mail_server.wait_for(1)) == 1
    assert channels(db, reminder) == [("push", "retry"), ("push", "retry"), ("email", "delivered")]
    # Delivered by email; the phone's push is still tried within its own window.
    assert fresh(db, reminder).delivered_at is not None


def test_reminders_due_together_are_one_email(email_app, db, patient, mail_server):
    patient.language = "es"
    quiet_hours_away_from_now(patient)
    add_email(db, patient)
    due = utcnow() - timedelta(minutes=1)
    first = add_reminder(db, patient, due=due, expires=due + WEEK, kind="questionnaire_phq9")
    second = add_reminder(
        db, patient, due=due + timedelta(minutes=20), expires=due + WEEK, kind="questionnaire_gad7"
    )

    summary = send_due_reminders()

    assert (summary.delivered, summary.emails) == (2, 1)
    [mail] = mail_server.wait_for(1)
    assert "2" in mail.text  # counted, in Spanish
    assert "http://aftercare.test/today" in mail.text
    assert mail.message["Content-Language"] == "es"
    assert channels(db, first) == channels(db, second) == [("email", "delivered")]


def test_quiet_hours_hold_email_too(email_app, db, patient, mail_server):
    add_email(db, patient)
    eleven = next_clock_time(patient.clinic, 23)
    eight = next_clock_time(patient.clinic, 8, after=eleven)
    reminder = add_reminder(
        db, patient, due=eleven, expires=eleven + WEEK, kind="questionnaire_pcl5"
    )

    summary = send_due_reminders(now=eleven + timedelta(seconds=30))

    assert (summary.held, summary.emails) == (1, 0)
    assert mail_server.messages() == []
    assert fresh(db, reminder).next_attempt_at == eight
    assert send_due_reminders(now=eight + timedelta(seconds=5)).emails == 1
    assert len(mail_server.wait_for(1)) == 1


def test_an_unsubscribed_address_gets_nothing(email_app, db, patient, mail_server):
    email = add_email(db, patient)
    email.unsubscribed_at = utcnow()
    db.session.commit()
    reminder = add_reminder(db, patient)

    send_due_reminders()

    assert mail_server.messages() == []
    assert fresh(db, reminder).last_error == "No device has reminders turned on."


def test_a_busy_mail_server_is_tried_again_and_a_refusal_is_final(
    email_app, db, patient, second_patient, mail_server
):
    add_email(db, patient, "busy@example.org")
    add_email(db, second_patient, "gone@example.org")
    mail_server.script("busy@example.org", [451, 250])
    mail_server.script("gone@example.org", [550])
    busy, gone = add_reminder(db, patient), add_reminder(db, second_patient)

    send_due_reminders()
    summary = send_due_reminders(now=utcnow() + timedelta(minutes=1))

    assert summary.delivered == 1
    assert channels(db, busy) == [("email", "retry"), ("email", "delivered")]
    assert channels(db, gone) == [("email", "failed")]
    assert fresh(db, gone).state == "failed"
    assert len(mail_server.messages("busy@example.org")) == 1
    # What is recorded names the code, never the address.
    errors = db.session.scalars(select(Delivery.error)).all()
    assert not any("@" in error for error in errors), errors


def test_two_senders_at_once_email_each_reminder_exactly_once(
    email_app, db, patient, receiver, mail_server
):
    subscribe(db, patient, receiver)
    add_email(db, patient, always=True)
    many_reminders(db, patient, 150)
    receiver.delay = 0.02
    env = environment(
        email_app,
        AFTERCARE_PUSH_BATCH_SIZE="10",
        AFTERCARE_PUSH_CONCURRENCY="4",
        AFTERCARE_BASE_URL="http://aftercare.test",
        AFTERCARE_SMTP_URL=mail_server.url,
    )
    senders = [
        subprocess.Popen(
            [str(AFTERCARE), "send-due"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = [sender.communicate(timeout=120) for sender in senders]
    assert all(sender.returncode == 0 for sender in senders), outputs

    assert states(db) == {"delivered": 150}
    bodies = Counter(m.text.split("\n", 1)[0] for m in mail_server.messages())
    assert len(bodies) == 150 and set(bodies.values()) == {1}
    pushed = Counter(json.loads(m.payload)["body"] for m in receiver.messages())
    assert len(pushed) == 150 and set(pushed.values()) == {1}
    rows = Counter(db.session.scalars(select(Delivery.channel)))
    assert rows == {"push": 150, "email": 150}


def test_an_address_refused_for_good_is_switched_off_and_the_clinic_sees_it(
    email_app, db, patient, clinician_client, mail_server, caplog
):
    email = add_email(db, patient, "gone@example.org")
    mail_server.script("gone@example.org", [550])
    first = add_reminder(db, patient)

    send_due_reminders()

    assert channels(db, first) == [("email", "failed")]
    assert fresh(db, first).state == "failed"
    db.session.expire_all()
    assert email.undeliverable_at is not None
    assert email.undeliverable_reason == "The mail server refused this address (550)."
    # Logged by its code and a count: no address, no patient.
    [line] = [r.getMessage() for r in caplog.records if "refused by the mail server" in r.message]
    assert "@" not in line and patient.display_name not in line
    # The next reminder is not emailed: the patient has no other way, so it waits for one.
    second = add_reminder(db, patient)
    send_due_reminders(now=utcnow() + timedelta(minutes=1))
    assert channels(db, second) == []
    assert fresh(db, second).last_error == "No device has reminders turned on."
    page = clinician_client.get(f"/clinic/patients/{patient.id}").text
    assert "Refused by the mail server" in page and "No reminder can reach this patient" in page
    assert "Email: refused by the mail server" in page


def test_a_message_refused_after_data_switches_the_address_off_and_push_goes_on(
    email_app, db, patient, receiver, mail_server
):
    subscribe(db, patient, receiver)
    email = add_email(db, patient, "full@example.org", always=True)
    mail_server.data_refusals["full@example.org"] = 552
    first = add_reminder(db, patient)

    send_due_reminders()

    assert sorted(channels(db, first)) == [("email", "failed"), ("push", "delivered")]
    db.session.expire_all()
    assert email.undeliverable_at is not None
    second = add_reminder(db, patient)
    send_due_reminders(now=utcnow() + timedelta(minutes=1))
    assert channels(db, second) == [("push", "delivered")]
    assert len(receiver.messages()) == 2


def test_a_temporary_refusal_keeps_the_address(email_app, db, patient, mail_server):
    email = add_email(db, patient, "busy@example.org")
    mail_server.script("busy@example.org", [452, 250])
    reminder = add_reminder(db, patient)

    send_due_reminders()
    db.session.expire_all()
    assert email.undeliverable_at is None
    send_due_reminders(now=utcnow() + timedelta(minutes=2))

    assert channels(db, reminder) == [("email", "retry"), ("email", "delivered")]
    assert len(mail_server.wait_for(1)) == 1
