"""Clinician sessions live on the server: signing out, an admin, or a reset ends them at once."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from aftercare.clinic import twofactor
from aftercare.clinic.sessions import COOKIE_KEY, describe_device
from aftercare.models import AuditEvent, Clinician, ClinicianSession, utcnow
from aftercare.tokens import hash_token
from tests.clinic.http_browser import HttpBrowser, is_sent_to_sign_in, replay
from tests.conftest import PASSWORD, csrf_from, sign_in

FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0"
)
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def give_two_factor(db, person: Clinician) -> str:  # noqa: ANN001
    """Turn on two-factor for someone; returns the secret their app would hold."""
    secret = twofactor.new_secret()
    # A code from the step before, so that the current one is still unused for signing in.
    code = pyotp.TOTP(secret).at(utcnow() - timedelta(seconds=30))
    assert twofactor.enable(person, secret, code) is not None
    db.session.commit()
    return secret


def audit_actions(db) -> list[str]:  # noqa: ANN001
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- Finding 3, through real HTTP ------------------------------------------------------------


def test_a_cookie_kept_from_before_sign_out_gets_the_sign_in_page(real_server, db, clinician):
    browser = HttpBrowser(real_server.url)
    assert browser.sign_in(clinician.email).status_code == 302
    assert browser.get("/clinic/").status_code == 200
    kept = browser.cookies()

    signed_out = browser.submit("/clinic/", {}, action="/clinic/logout")
    assert signed_out.status_code in (302, 303)

    again = replay(real_server.url, kept)
    assert is_sent_to_sign_in(real_server.url, again)
    assert "Alex" not in again.text
    # Whatever cookie that answer set does not work either.
    assert is_sent_to_sign_in(real_server.url, replay(real_server.url, again.cookies.get_dict()))
    assert is_sent_to_sign_in(real_server.url, replay(real_server.url, kept, "/clinic/settings"))
    assert "clinician.sign_out" in audit_actions(db)


def test_disabling_a_clinician_ends_their_sessions_at_once(real_server, db, admin, clinician):
    theirs = HttpBrowser(real_server.url)
    assert theirs.sign_in(clinician.email).status_code == 302
    assert theirs.get("/clinic/").status_code == 200

    admins = HttpBrowser(real_server.url)
    assert admins.sign_in_with_code(admin, admin.test_totp_secret).status_code == 302
    done = admins.submit(
        "/clinic/admin/clinicians", {}, action=f"/clinic/admin/clinicians/{clinician.id}/disable"
    )
    assert done.status_code == 303

    assert is_sent_to_sign_in(real_server.url, theirs.get("/clinic/"))
    assert admins.get("/clinic/").status_code == 200
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "clinician.disable"))
    assert event.detail == {"clinician_id": clinician.id, "sessions_ended": 1}


def test_resetting_two_factor_ends_their_sessions(real_server, db, admin, clinician):
    secret = give_two_factor(db, clinician)
    theirs = HttpBrowser(real_server.url)
    assert theirs.sign_in_with_code(clinician, secret).status_code == 302
    kept = theirs.cookies()

    admins = HttpBrowser(real_server.url)
    assert admins.sign_in_with_code(admin, admin.test_totp_secret).status_code == 302
    admins.submit(
        "/clinic/admin/clinicians",
        {},
        action=f"/clinic/admin/clinicians/{clinician.id}/reset-two-factor",
    )

    assert is_sent_to_sign_in(real_server.url, replay(real_server.url, kept))
    assert is_sent_to_sign_in(real_server.url, theirs.get("/clinic/"))


def test_resetting_a_password_ends_their_sessions_and_the_old_password(
    real_server, db, admin, clinician
):
    theirs = HttpBrowser(real_server.url)
    assert theirs.sign_in(clinician.email).status_code == 302
    kept = theirs.cookies()

    admins = HttpBrowser(real_server.url)
    assert admins.sign_in_with_code(admin, admin.test_totp_secret).status_code == 302
    page = admins.submit(
        "/clinic/admin/clinicians",
        {},
        action=f"/clinic/admin/clinicians/{clinician.id}/reset-password",
    )
    assert page.status_code == 200
    link = re.search(r"http://127\.0\.0\.1:\d+(/clinic/invite/[\w-]+)", page.text).group(1)

    assert is_sent_to_sign_in(real_server.url, replay(real_server.url, kept))
    assert HttpBrowser(real_server.url).sign_in(clinician.email).status_code == 401
    chosen = HttpBrowser(real_server.url).submit(
        link, {"password": "a new passphrase here", "confirm": "a new passphrase here"}
    )
    assert chosen.status_code == 302
    assert HttpBrowser(real_server.url).sign_in(clinician.email, "a new passphrase here").ok


def test_ending_another_session_from_the_sessions_page(real_server, db, clinician):
    laptop = HttpBrowser(real_server.url, user_agent=FIREFOX_ON_WINDOWS)
    phone = HttpBrowser(real_server.url, user_agent=SAFARI_ON_IPHONE)
    assert laptop.sign_in(clinician.email).status_code == 302
    assert phone.sign_in(clinician.email).status_code == 302

    page = laptop.get("/clinic/security/sessions")
    assert page.status_code == 200
    assert "Firefox on Windows" in page.text and "(this browser)" in page.text
    assert "Safari on iPhone" in page.text
    phones_session = db.session.scalar(
        select(ClinicianSession.id).where(ClinicianSession.device == "Safari on iPhone")
    )
    ended = laptop.submit(
        "/clinic/security/sessions", {}, action=f"/clinic/security/sessions/{phones_session}/end"
    )
    assert ended.status_code == 303

    assert is_sent_to_sign_in(real_server.url, phone.get("/clinic/"))
    assert laptop.get("/clinic/").status_code == 200
    assert "Safari on iPhone" not in laptop.get("/clinic/security/sessions").text
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "clinician.session_end")
    )
    assert event.detail == {"session_id": phones_session}
    assert event.actor == f"clinician:{clinician.id}"


# --- The details, through the test client ----------------------------------------------------


def test_only_a_hash_of_the_session_token_is_stored(app, db, clinician_client):
    with clinician_client.session_transaction() as cookie_session:
        token = cookie_session[COOKIE_KEY]
    stored = db.session.scalar(select(ClinicianSession))
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
    assert len(token) >= 40


def test_a_new_sign_in_gets_a_new_token(app, db, clinician):
    first, second = app.test_client(), app.test_client()
    sign_in(first, clinician.email)
    sign_in(second, clinician.email)
    assert db.session.scalar(select(func.count()).select_from(ClinicianSession)) == 2
    assert first.get("/clinic/").status_code == second.get("/clinic/").status_code == 200


def test_a_session_of_one_clinician_does_not_sign_in_another(app, db, clinician, colleague):
    thief = app.test_client()
    sign_in(thief, colleague.email)
    with thief.session_transaction() as cookie_session:
        cookie_session["_user_id"] = str(clinician.id)  # with the secret key, say
    assert thief.get("/clinic/").status_code == 302


def test_signing_out_everywhere_else_keeps_this_browser(app, db, clinician):
    browsers = [app.test_client() for _ in range(3)]
    for browser in browsers:
        sign_in(browser, clinician.email)
    here = browsers[0]
    page = here.get("/clinic/security/sessions")
    response = here.post(
        "/clinic/security/sessions/end-others", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 303
    assert "Signed out everywhere else." in here.get("/clinic/security/sessions").text
    assert [b.get("/clinic/").status_code for b in browsers] == [200, 302, 302]
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "clinician.sessions_end_others")
    )
    assert event.detail == {"sessions_ended": 2}


def test_a_colleague_cannot_end_someone_elses_session(app, db, clinician, colleague):
    mine = app.test_client()
    sign_in(mine, clinician.email)
    theirs = app.test_client()
    sign_in(theirs, colleague.email)
    my_session = db.session.scalar(
        select(ClinicianSession.id).where(ClinicianSession.clinician_id == clinician.id)
    )
    page = theirs.get("/clinic/security/sessions")
    assert str(my_session) not in re.findall(r"/clinic/security/sessions/(\d+)/end", page.text)
    response = theirs.post(
        f"/clinic/security/sessions/{my_session}/end", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 404
    assert mine.get("/clinic/").status_code == 200


def test_the_sessions_page_is_linked_from_every_clinician_page(clinician_client):
    page = clinician_client.get("/clinic/").text
    assert 'href="/clinic/security/sessions"' in page


def test_setting_up_two_factor_again_signs_out_the_other_browsers(app, db, admin, admin_client):
    codes = twofactor.new_recovery_codes(admin)
    db.session.commit()
    elsewhere = app.test_client()
    sign_in(elsewhere, admin.email)
    page = elsewhere.get("/clinic/login/verify")
    elsewhere.post(
        "/clinic/login/verify", data={"csrf_token": csrf_from(page.text), "code": codes[0]}
    )
    assert elsewhere.get("/clinic/").status_code == 200
    page = admin_client.get("/clinic/security/two-factor")
    secret = re.search(r"<code[^>]*>([A-Z2-7]{32})</code>", page.text).group(1)
    done = admin_client.post(
        "/clinic/security/two-factor",
        data={"csrf_token": csrf_from(page.text), "code": pyotp.TOTP(secret).now()},
    )
    assert done.status_code == 200
    assert admin_client.get("/clinic/").status_code == 200
    assert elsewhere.get("/clinic/").status_code == 302


def test_a_new_password_still_asks_for_the_authenticator_code(app, db, admin, admin_client):
    colleague = Clinician(
        clinic_id=admin.clinic_id, email="lead@riverside.test", name="Lead", role="clinician"
    )
    colleague.set_password(PASSWORD)
    db.session.add(colleague)
    db.session.commit()
    give_two_factor(db, colleague)
    page = admin_client.get("/clinic/admin/clinicians")
    reset = admin_client.post(
        f"/clinic/admin/clinicians/{colleague.id}/reset-password",
        data={"csrf_token": csrf_from(page.text)},
    )
    assert "New password link for Lead" in reset.text
    link = re.search(r"http://localhost(/clinic/invite/[\w-]+)", reset.text).group(1)
    newcomer = app.test_client()
    form = newcomer.get(link)
    done = newcomer.post(
        link,
        data={
            "csrf_token": csrf_from(form.text),
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert done.headers["Location"].endswith("/clinic/login/verify")
    assert newcomer.get("/clinic/").status_code == 302
    actions = audit_actions(db)
    assert "clinician.reset_password" in actions and "clinician.invite_accepted" in actions


def test_a_sign_in_waiting_for_its_code_is_void_after_a_password_reset(app, db, admin):
    waiting = app.test_client()
    assert sign_in(waiting, admin.email).headers["Location"].endswith("/clinic/login/verify")
    admin.password_hash = ""
    db.session.commit()
    page = waiting.get("/clinic/login/verify")
    assert page.status_code == 302 and page.headers["Location"].endswith("/clinic/login")


def test_an_admin_cannot_reset_their_own_password(admin_client, admin, db):
    page = admin_client.get("/clinic/admin/clinicians")
    admin_client.post(
        f"/clinic/admin/clinicians/{admin.id}/reset-password",
        data={"csrf_token": csrf_from(page.text)},
    )
    db.session.refresh(admin)
    assert admin.password_hash and admin_client.get("/clinic/").status_code == 200


@pytest.mark.parametrize(
    ("user_agent", "words"),
    [
        (FIREFOX_ON_WINDOWS, "Firefox on Windows"),
        (SAFARI_ON_IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.0.0",
            "Edge on macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/125.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("", "Unknown browser"),
        ("x" * 5000, "Unknown browser"),
    ],
)
def test_a_browser_is_described_in_a_few_words(user_agent, words):
    assert describe_device(user_agent) == words
