"""The patient's email: added on the phone or by the clinic, verified by a signed link,
unsubscribed with one click; and what the app says when email is off."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from itsdangerous import TimestampSigner
from sqlalchemy import select

from aftercare.models import PatientEmail, utcnow
from aftercare.patient_email import VERIFY_MAX_AGE_S, verify_token
from aftercare.reminders.sender import send_due_reminders
from tests.conftest import csrf_from, enrollment_token
from tests.http_client import linked_phone
from tests.reminders.conftest import add_email, add_reminder

BASE = "http://aftercare.test"


def email_row(db, patient) -> PatientEmail | None:  # noqa: ANN001
    db.session.expire_all()
    return db.session.scalar(select(PatientEmail).where(PatientEmail.patient_id == patient.id))


def link_in(text: str, path: str) -> str:
    """The path and token of the first link to `path` in an email's text."""
    start = text.index(BASE + path) + len(BASE)
    return text[start:].split()[0]


def test_a_patient_adds_an_email_on_their_phone_and_confirms_it(email_app, db, phone, mail_server):
    phone.patient.language = "es"
    db.session.commit()
    page = phone.client.get("/reminders/email")
    assert page.status_code == 200
    assert "Recordatorios por correo" in page.text

    response = phone.client.post(
        "/reminders/email",
        data={"csrf_token": csrf_from(page.text), "address": " Alex@Example.ORG "},
    )

    assert response.status_code == 302
    assert "done=queued" in response.headers["Location"]
    email = email_row(db, phone.patient)
    assert (email.address, email.verified_at, email.always) == ("Alex@example.org", None, False)
    # The request only queued the email: the scheduler's pass sends it.
    assert mail_server.messages() == []
    assert send_due_reminders().verifications == 1
    [mail] = mail_server.wait_for(1)
    assert mail.rcpt_tos == ["Alex@example.org"]
    assert mail.message["Subject"] == "Confirme su correo para los recordatorios de Aftercare"
    assert mail.message["Content-Language"] == "es"
    link = link_in(mail.text, "/email/verify/")
    # Opened in another browser (a computer's mail): no phone needed. Opening it changes
    # nothing; the button does.
    browser = email_app.test_client()
    opened = browser.get(link)
    assert opened.status_code == 200 and "Confirmar" in opened.text
    assert email_row(db, phone.patient).verified_at is None
    confirmed = browser.post(link, data={"csrf_token": csrf_from(opened.text)})
    assert confirmed.status_code == 200
    assert "Su correo está confirmado" in confirmed.text
    assert email_row(db, phone.patient).verified_at is not None


def test_a_link_posted_without_its_csrf_token_verifies_nothing(email_app, db, patient):
    email = add_email(db, patient, verified=False)
    response = email_app.test_client().post(f"/email/verify/{verify_token(email)}")
    assert response.status_code == 400
    assert email_row(db, patient).verified_at is None


def test_a_bad_address_is_refused_and_nothing_is_saved(email_app, db, phone, mail_server):
    page = phone.client.get("/reminders/email")
    response = phone.client.post(
        "/reminders/email", data={"csrf_token": csrf_from(page.text), "address": "alex@"}
    )
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text
    assert email_row(db, phone.patient) is None
    assert mail_server.messages() == []


def test_a_tampered_or_expired_verify_link_gets_a_clear_page(email_app, db, patient, monkeypatch):
    email = add_email(db, patient, verified=False)
    token = verify_token(email)
    browser = email_app.test_client()

    tampered = browser.get(f"/email/verify/{token[:-2]}xx")
    assert tampered.status_code == 400
    assert "This link does not work" in tampered.text

    old = int(time.time()) - VERIFY_MAX_AGE_S - 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: old)
    expired_token = verify_token(email)
    monkeypatch.undo()
    expired = browser.get(f"/email/verify/{expired_token}")
    assert expired.status_code == 410
    assert "This link has expired" in expired.text

    # A link for an address the patient has since changed no longer works.
    email.address = "new@example.org"
    db.session.commit()
    assert browser.get(f"/email/verify/{token}").status_code == 400
    assert email_row(db, patient).verified_at is None


@pytest.fixture
def server_env(mail_server) -> dict[str, str]:  # noqa: ANN001
    return {"AFTERCARE_BASE_URL": BASE, "AFTERCARE_SMTP_URL": mail_server.url}


def test_one_click_unsubscribe_by_post_stops_the_emails(
    email_app, db, patient, mail_server, waitress
):
    add_email(db, patient)
    add_reminder(db, patient)
    send_due_reminders()
    [mail] = mail_server.wait_for(1)
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = mail.message["List-Unsubscribe"].strip("<>").replace(BASE, waitress.url)

    # As a mail app does it (RFC 8058): a POST to the link, no cookie, no CSRF token.
    response = requests.post(
        link,
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )

    assert response.status_code == 200
    assert email_row(db, patient).unsubscribed_at is not None
    add_reminder(db, patient)
    send_due_reminders()
    assert len(mail_server.messages()) == 1
    tampered = requests.post(link[:-3] + "abc", data="List-Unsubscribe=One-Click", timeout=10)
    assert tampered.status_code == 400
    assert "This link does not work" in tampered.text
    # Opening the link shows a button and changes nothing by itself.
    page = requests.get(link, timeout=10)
    assert page.status_code == 200 and '<form method="post">' in page.text


def test_with_email_off_the_patient_and_the_clinic_are_told(push_app, db, phone, clinician_client):
    assert push_app.config["SMTP"] is None
    page = phone.client.get("/reminders/email")
    assert page.status_code == 200
    assert 'id="email-off"' in page.text and 'name="address"' not in page.text
    response = phone.client.post(
        "/reminders/email",
        data={"csrf_token": csrf_from(page.text), "address": "alex@example.org"},
    )
    assert email_row(db, phone.patient) is None, response.status_code
    clinic_page = clinician_client.get(f"/clinic/patients/{phone.patient.id}").text
    assert "<strong>Email is off</strong>" in clinic_page


def test_the_clinic_adds_an_email_only_with_consent_noted(
    email_app, db, patient, clinician, clinician_client, mail_server
):
    url = f"/clinic/patients/{patient.id}"
    token = csrf_from(clinician_client.get(url).text)
    clinician_client.post(f"{url}/email", data={"csrf_token": token, "address": "alex@example.org"})
    assert email_row(db, patient) is None

    clinician_client.post(
        f"{url}/email",
        data={"csrf_token": token, "address": "alex@example.org", "consent": "y"},
    )

    email = email_row(db, patient)
    assert (email.consent_noted_by_id, email.verified_at) == (clinician.id, None)
    assert "the link goes out on the scheduler's next pass" in clinician_client.get(url).text
    send_due_reminders()
    [mail] = mail_server.wait_for(1)
    assert "/email/verify/" in mail.text
    assert "the link was sent" in clinician_client.get(url).text


def test_the_verification_email_leaves_with_the_scheduler_not_the_request(
    email_app, db, patient, mail_server, waitress
):
    """Over real HTTP to `aftercare run`, whose own scheduler is off in the tests: the page
    says what is true, before and after a scheduler's pass."""
    phone = linked_phone(waitress, enrollment_token(db, patient))
    page = phone.get(f"{waitress.url}/reminders/email", timeout=10)
    mail_server.script("alex@example.org", [451, 250])  # busy once: tried again later

    saved = phone.post(
        f"{waitress.url}/reminders/email",
        data={"csrf_token": csrf_from(page.text), "address": "alex@example.org"},
        timeout=10,
    )

    assert saved.status_code == 200 and saved.url.endswith("?done=queued")
    assert "We will send you an email in a moment" in saved.text
    assert "We sent you an email" not in saved.text
    assert mail_server.messages() == []
    email = email_row(db, patient)
    assert email.verify_due_at is not None and email.verify_sent_at is None

    first = send_due_reminders()
    assert first.verifications == 0 and mail_server.messages() == []
    email = email_row(db, patient)
    assert (email.verify_attempts, email.verify_error) == (1, "recipient refused: 451")
    assert email.verify_due_at > utcnow()
    assert "We will send you an email in a moment" in phone.get(saved.url, timeout=10).text

    # The retry is due after its backoff; a second scheduler's pass sends it, once.
    later = email.verify_due_at + timedelta(seconds=1)
    assert send_due_reminders(now=later).verifications == 1
    assert send_due_reminders(now=later + timedelta(minutes=5)).verifications == 0
    [mail] = mail_server.wait_for(1)
    assert mail.rcpt_tos == ["alex@example.org"]
    assert "We sent you an email" in phone.get(saved.url, timeout=10).text
    link = link_in(mail.text, "/email/verify/")
    opened = requests.get(waitress.url + link, timeout=10)
    confirmed = requests.post(
        waitress.url + link,
        data={"csrf_token": csrf_from(opened.text)},
        cookies=opened.cookies,
        timeout=10,
    )
    assert confirmed.status_code == 200
    assert email_row(db, patient).verified_at is not None


def test_an_address_refused_for_good_stops_the_verification_and_says_so(
    email_app, db, phone, mail_server, clinician_client
):
    page = phone.client.get("/reminders/email")
    mail_server.script("nobody@example.org", [550])
    phone.client.post(
        "/reminders/email",
        data={"csrf_token": csrf_from(page.text), "address": "nobody@example.org"},
    )

    send_due_reminders()
    send_due_reminders(now=utcnow() + timedelta(hours=1))

    email = email_row(db, phone.patient)
    assert email.undeliverable_at is not None and email.verify_due_at is None
    assert email.verify_attempts == 1 and mail_server.messages() == []
    assert "We could not deliver email to this address" in phone.client.get("/reminders/email").text
    clinic_page = clinician_client.get(f"/clinic/patients/{phone.patient.id}").text
    assert "Refused by the mail server" in clinic_page
