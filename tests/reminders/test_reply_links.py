"""Answering an appointment's reminder from the email: "I'll be there" and "I need another time"
as signed links, each opening a page with one button, over real SMTP and real HTTP."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from aftercare.appointment_replies import REPLY_SALT, reply_token
from aftercare.models import Appointment, AuditEvent, Reminder
from aftercare.patient_email import unsubscribe_token
from aftercare.reminders.sender import send_due_reminders
from tests.conftest import add_patient, csrf_from
from tests.reminders.conftest import add_email
from tests.reminders.test_email import booked

BASE = "http://aftercare.test"
TIMEOUT_S = 10


@pytest.fixture
def server_env(mail_server) -> dict[str, str]:  # noqa: ANN001
    return {"AFTERCARE_BASE_URL": BASE, "AFTERCARE_SMTP_URL": mail_server.url}


def fresh(db, appointment: Appointment) -> Appointment:  # noqa: ANN001
    db.session.expire_all()
    return db.session.get(Appointment, appointment.id)


def replies_audited(db, appointment: Appointment) -> int:  # noqa: ANN001
    return sum(
        event.detail.get("appointment_id") == appointment.id
        for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "appointment.reply")
        )
    )


def reminder_email(db, patient, mail_server):  # noqa: ANN001, ANN201
    """An appointment booked two days ahead, and its day-before reminder, sent by email."""
    add_email(db, patient)
    appointment = booked(db, patient)
    reminder = db.session.scalars(
        select(Reminder).where(
            Reminder.appointment_id == appointment.id, Reminder.kind == "before_24h"
        )
    ).one()
    summary = send_due_reminders(now=reminder.due_at + timedelta(seconds=5))
    assert summary.emails == 1, summary
    [mail] = mail_server.wait_for(1)
    return appointment, mail


def links_in(text: str) -> list[str]:
    return re.findall(re.escape(BASE) + r"/appointments/reply/[A-Za-z0-9_.-]+", text)


def test_i_will_be_there_from_the_email_is_recorded_after_one_button(
    email_app, db, patient, mail_server, waitress
):
    appointment, mail = reminder_email(db, patient, mail_server)
    text, html = mail.text, mail.html
    confirm, new_time = links_in(text)
    assert f"I'll be there: {confirm}" in text
    assert f"I need another time: {new_time}" in text
    assert f'href="{confirm}"' in html and f'href="{new_time}"' in html
    # The links carry nothing personal; the subject is the reminder's title as before.
    assert patient.display_name not in confirm + new_time
    assert patient.display_name not in mail.message["Subject"]

    # Opened in any browser: no phone, no sign-in. Opening it changes nothing (a mail
    # scanner may open every link); the page's one button does.
    browser = requests.Session()
    link = confirm.replace(BASE, waitress.url)
    page = browser.get(link, timeout=TIMEOUT_S)
    assert page.status_code == 200
    assert "Tell your clinic you will be there?" in page.text
    assert fresh(db, appointment).reply is None

    pressed = browser.post(link, data={"csrf_token": csrf_from(page.text)}, timeout=TIMEOUT_S)

    assert pressed.status_code == 200
    assert "Thank you. Your clinic knows you will be there." in pressed.text
    recorded = fresh(db, appointment)
    assert (recorded.reply, recorded.reply_channel) == ("confirmed", "email")
    assert recorded.replied_at is not None
    assert replies_audited(db, appointment) == 1

    # Replayed (opened again, pressed again, from another browser): harmless, it shows what
    # the clinic has and records nothing new.
    again = requests.get(link, timeout=TIMEOUT_S)
    assert again.status_code == 200
    assert "Thank you. Your clinic knows you will be there." in again.text
    assert "Yes, I'll be there" not in again.text  # no button: nothing to do again
    repressed = browser.post(link, data={"csrf_token": csrf_from(page.text)}, timeout=TIMEOUT_S)
    assert repressed.status_code == 200
    assert fresh(db, appointment).replied_at == recorded.replied_at
    assert replies_audited(db, appointment) == 1

    # "I need another time" from the same email changes the answer; the clinic sees it.
    other = new_time.replace(BASE, waitress.url)
    page = browser.get(other, timeout=TIMEOUT_S)
    assert "Ask your clinic for another time?" in page.text
    browser.post(other, data={"csrf_token": csrf_from(page.text)}, timeout=TIMEOUT_S)
    assert fresh(db, appointment).reply == "needs_new_time"
    assert replies_audited(db, appointment) == 2


def test_the_email_and_its_page_are_in_spanish_for_a_spanish_speaker(
    email_app, db, patient, mail_server, waitress
):
    patient.language = "es"
    db.session.commit()
    appointment, mail = reminder_email(db, patient, mail_server)
    confirm, new_time = links_in(mail.text)
    assert f"Asistiré: {confirm}" in mail.text
    assert f"Necesito otro horario: {new_time}" in mail.text

    page = requests.get(new_time.replace(BASE, waitress.url), timeout=TIMEOUT_S)

    assert page.status_code == 200
    assert '<html lang="es"' in page.text
    assert "¿Pedir otro horario a su clínica?" in page.text


def test_a_link_without_its_csrf_token_records_nothing(
    email_app, db, patient, mail_server, waitress
):
    appointment = booked(db, patient)
    link = f"{waitress.url}/appointments/reply/{reply_token(appointment, 'confirmed')}"
    refused = requests.post(link, timeout=TIMEOUT_S)
    assert refused.status_code == 400
    assert fresh(db, appointment).reply is None


def test_expired_tampered_and_changed_links_are_refused_with_a_clear_page(
    email_app, db, patient, waitress
):
    patient.clinic.phone = "555-0100"
    db.session.commit()
    appointment = booked(db, patient)
    token = reply_token(appointment, "confirmed")

    def opened(token: str) -> requests.Response:
        return requests.get(f"{waitress.url}/appointments/reply/{token}", timeout=TIMEOUT_S)

    tampered = opened(token[:-3] + ("abc" if not token.endswith("abc") else "xyz"))
    assert tampered.status_code == 400
    assert "This link does not work" in tampered.text
    assert "please call your clinic" in tampered.text
    # Another link of the app's (an unsubscribe link) is no answer link.
    assert opened(unsubscribe_token(1, "alex@example.org")).status_code == 400

    # Past its appointment's start: expired, with the clinic's phone to call.
    started = booked(db, patient, days=-2)
    expired = opened(reply_token(started, "confirmed"))
    assert expired.status_code == 410
    assert "This link has expired" in expired.text
    assert 'href="tel:5550100"' in expired.text
    # Pressed with a good form token (the page had a button when it was opened): still refused.
    browser = requests.Session()
    token_page = browser.get(f"{waitress.url}/appointments/reply/{token}", timeout=TIMEOUT_S)
    refused_post = browser.post(
        f"{waitress.url}/appointments/reply/{reply_token(started, 'confirmed')}",
        data={"csrf_token": csrf_from(token_page.text)},
        timeout=TIMEOUT_S,
    )
    assert refused_post.status_code == 410

    # Moved by the clinic since the email was sent: the old link answers nothing.
    appointment.starts_at += timedelta(days=1)
    db.session.commit()
    moved = opened(token)
    assert moved.status_code == 410
    assert "This appointment has changed" in moved.text
    assert 'href="tel:5550100"' in moved.text
    assert fresh(db, appointment).reply is None
    assert fresh(db, started).reply is None


def test_junk_in_a_signed_link_is_a_4xx_never_a_500(email_app, db, patient, waitress):
    appointment = booked(db, patient)
    signer = URLSafeTimedSerializer(email_app.secret_key, salt=REPLY_SALT)
    starts = int(appointment.starts_at.timestamp())
    junk = [
        {"a": 1},
        "x",
        [appointment.id, "maybe", starts],
        [True, "confirmed", starts],
        [str(appointment.id), "confirmed", starts],
        [appointment.id, "confirmed"],
        [10**30, "confirmed", starts],
        [appointment.id + 1000, "confirmed", starts],
        [appointment.id, "confirmed", 10**30],
    ]
    answers = [
        requests.get(
            f"{waitress.url}/appointments/reply/{signer.dumps(value)}", timeout=TIMEOUT_S
        ).status_code
        for value in junk
    ]
    answers += [
        requests.get(f"{waitress.url}/appointments/reply/{token}", timeout=TIMEOUT_S).status_code
        for token in ("", "%0d%0a", "a" * 3000, "..", "a.b.c")
    ]
    assert {i: status for i, status in enumerate(answers) if not 400 <= status < 500} == {}
    assert fresh(db, appointment).reply is None


def test_a_link_answers_only_its_own_appointment_in_its_own_clinic(
    email_app, db, patient, other_clinic, waitress
):
    mine = booked(db, patient)
    theirs = booked(db, add_patient(db, other_clinic, "Other"))
    token = reply_token(mine, "needs_new_time")
    browser = requests.Session()
    page = browser.get(f"{waitress.url}/appointments/reply/{token}", timeout=TIMEOUT_S)
    browser.post(
        f"{waitress.url}/appointments/reply/{token}",
        data={"csrf_token": csrf_from(page.text)},
        timeout=TIMEOUT_S,
    )
    assert fresh(db, mine).reply == "needs_new_time"
    assert fresh(db, theirs).reply is None
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "appointment.reply")
    ).all()
    assert (event.clinic_id, event.patient_id) == (patient.clinic_id, patient.id)
