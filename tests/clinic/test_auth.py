"""Clinician sign-in: two-factor, rate limits, idle sessions, roles, invitations, audit."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select, update

from aftercare.models import AuditEvent, Clinician, ClinicianSession, RecoveryCode, utcnow
from tests.conftest import PASSWORD, add_clinician, csrf_from, sign_in, sign_in_with_code


def verify(client, code: str):  # noqa: ANN001, ANN201
    page = client.get("/clinic/login/verify")
    return client.post(
        "/clinic/login/verify", data={"csrf_token": csrf_from(page.text), "code": code}
    )


def test_an_admin_must_set_up_two_factor_before_anything_else(app, db, clinic):
    add_clinician(db, clinic, "boss@riverside.test", role="admin")
    client = app.test_client()
    response = sign_in(client, "boss@riverside.test")
    assert response.headers["Location"].endswith("/clinic/security/two-factor")
    # Every other page sends them back to the setup.
    assert client.get("/clinic/").headers["Location"].endswith("/clinic/security/two-factor")
    assert client.get("/clinic/settings").status_code == 302

    page = client.get("/clinic/security/two-factor")
    assert "<svg" in page.text
    secret = re.search(r"<code[^>]*>([A-Z2-7]{32})</code>", page.text).group(1)
    done = client.post(
        "/clinic/security/two-factor",
        data={"csrf_token": csrf_from(page.text), "code": pyotp.TOTP(secret).now()},
    )
    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code>", done.text)
    assert len(codes) == 10
    assert client.get("/clinic/settings").status_code == 200
    boss = db.session.scalar(select(Clinician).where(Clinician.email == "boss@riverside.test"))
    assert boss.has_two_factor and secret not in boss.totp_secret_encrypted
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and codes[0] not in stored


def test_a_wrong_setup_code_is_refused(app, db, clinic):
    add_clinician(db, clinic, "boss@riverside.test", role="admin")
    client = app.test_client()
    sign_in(client, "boss@riverside.test")
    page = client.get("/clinic/security/two-factor")
    response = client.post(
        "/clinic/security/two-factor", data={"csrf_token": csrf_from(page.text), "code": "000000"}
    )
    assert response.status_code == 422 and "That code is not right" in response.text


def test_sign_in_asks_for_the_code_and_refuses_a_wrong_or_replayed_one(app, admin):
    client = app.test_client()
    assert sign_in(client, admin.email).headers["Location"].endswith("/clinic/login/verify")
    assert client.get("/clinic/").status_code == 302  # not signed in yet
    assert verify(client, "123456").status_code == 401
    code = pyotp.TOTP(admin.test_totp_secret).now()
    assert verify(client, code).status_code == 302
    assert client.get("/clinic/").status_code == 200

    again = app.test_client()
    sign_in(again, admin.email)
    assert verify(again, code).status_code == 401  # the same code, a second time


def test_a_recovery_code_works_once(app, db, admin):
    from aftercare.clinic import twofactor

    codes = twofactor.new_recovery_codes(admin)
    db.session.commit()
    first = app.test_client()
    sign_in(first, admin.email)
    assert verify(first, codes[0].upper()).status_code == 302
    second = app.test_client()
    sign_in(second, admin.email)
    assert verify(second, codes[0]).status_code == 401


def test_repeated_failed_sign_ins_are_slowed_down_with_a_clear_message(app, clinician):
    client = app.test_client()
    for _ in range(5):
        assert sign_in(client, clinician.email, "wrong password").status_code == 401
    blocked = sign_in(client, clinician.email, PASSWORD)
    assert blocked.status_code == 429
    assert "Too many sign-in attempts. Please wait 1 minute and try again." in blocked.text
    assert 0 < int(blocked.headers["Retry-After"]) <= 60
    # Another account from the same address is not locked by these.
    other = add_clinician(app.extensions["sqlalchemy"], clinician.clinic, "other@riverside.test")
    assert sign_in(app.test_client(), other.email).status_code == 302


def test_good_sign_ins_do_not_count_against_the_limit(app, clinician):
    for _ in range(12):
        client = app.test_client()
        assert sign_in(client, clinician.email).status_code == 302


def _last_seen(db, clinician, minutes_ago: float) -> None:  # noqa: ANN001
    db.session.execute(
        update(ClinicianSession)
        .where(ClinicianSession.clinician_id == clinician.id)
        .values(last_seen_at=utcnow() - timedelta(minutes=minutes_ago))
    )
    db.session.commit()


def test_an_idle_session_ends(app, db, clinician, clinician_client):
    app.config["CLINICIAN_IDLE_MINUTES"] = 30
    _last_seen(db, clinician, 31)
    response = clinician_client.get("/clinic/")
    assert response.status_code == 302 and "/clinic/login" in response.headers["Location"]
    page = clinician_client.get("/clinic/login")
    assert "signed out after 30 minutes without activity" in page.text
    assert clinician_client.get("/clinic/").status_code == 302
    assert db.session.scalar(select(ClinicianSession)) is None


def test_an_active_session_goes_on_and_counts_from_the_last_request(
    app, db, clinician, clinician_client
):
    app.config["CLINICIAN_IDLE_MINUTES"] = 30
    _last_seen(db, clinician, 29)
    assert clinician_client.get("/clinic/").status_code == 200
    seen = db.session.scalar(select(ClinicianSession.last_seen_at))
    assert utcnow() - seen < timedelta(minutes=1)


def test_a_session_ends_twelve_hours_after_sign_in_however_active(
    app, db, clinician, clinician_client
):
    db.session.execute(
        update(ClinicianSession).values(signed_in_at=utcnow() - timedelta(hours=12, minutes=1))
    )
    db.session.commit()
    response = clinician_client.get("/clinic/")
    assert response.status_code == 302 and "/clinic/login" in response.headers["Location"]
    assert "Your session has ended" in clinician_client.get("/clinic/login").text
    assert db.session.scalar(select(ClinicianSession)) is None


@pytest.mark.parametrize(
    "path", ["/clinic/settings", "/clinic/admin/clinicians", "/clinic/admin/audit"]
)
def test_admin_pages_are_403_for_clinicians(clinician_client, path):
    assert clinician_client.get(path).status_code == 403


def test_an_admin_invites_a_clinician_who_chooses_a_password(app, db, admin_client):
    page = admin_client.get("/clinic/admin/clinicians")
    response = admin_client.post(
        "/clinic/admin/clinicians",
        data={
            "csrf_token": csrf_from(page.text),
            "name": "Dana Reyes",
            "email": "Dana@Riverside.test",
            "role": "clinician",
        },
    )
    link = re.search(r"http://localhost(/clinic/invite/[\w-]+)", response.text).group(1)
    invited = db.session.scalar(select(Clinician).where(Clinician.email == "dana@riverside.test"))
    assert invited.password_hash == "" and not invited.check_password("")

    newcomer = app.test_client()
    form = newcomer.get(link)
    short = newcomer.post(
        link, data={"csrf_token": csrf_from(form.text), "password": "short", "confirm": "short"}
    )
    assert short.status_code == 422 and "12 to 200 characters" in short.text
    done = newcomer.post(
        link,
        data={
            "csrf_token": csrf_from(form.text),
            "password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert done.status_code == 302
    assert newcomer.get("/clinic/").status_code == 200
    assert app.test_client().get(link).status_code == 410  # used


def test_a_disabled_clinician_is_locked_out_and_two_factor_can_be_reset(
    app, db, admin_client, clinician
):
    from aftercare.clinic import twofactor

    page = admin_client.get("/clinic/admin/clinicians")
    admin_client.post(
        f"/clinic/admin/clinicians/{clinician.id}/disable",
        data={"csrf_token": csrf_from(page.text)},
    )
    db.session.refresh(clinician)
    assert not clinician.is_enabled
    assert sign_in(app.test_client(), clinician.email).status_code == 401

    secret = twofactor.new_secret()
    twofactor.enable(clinician, secret, pyotp.TOTP(secret).now())
    db.session.commit()
    admin_client.post(
        f"/clinic/admin/clinicians/{clinician.id}/reset-two-factor",
        data={"csrf_token": csrf_from(page.text)},
    )
    db.session.refresh(clinician)
    assert not clinician.has_two_factor
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"clinician.disable", "clinician.reset_two_factor"} <= actions


def test_another_clinics_clinician_cannot_be_changed(admin_client, other_clinician):
    page = admin_client.get("/clinic/admin/clinicians")
    response = admin_client.post(
        f"/clinic/admin/clinicians/{other_clinician.id}/disable",
        data={"csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 404


def test_the_audit_trail_can_be_filtered_by_patient(
    admin_client, clinician_client, patient, second_patient
):
    clinician_client.get(f"/clinic/patients/{patient.id}")
    clinician_client.get(f"/clinic/patients/{second_patient.id}")
    page = admin_client.get(f"/clinic/admin/audit?patient={patient.id}&action=patient.")
    assert page.status_code == 200
    rows = re.findall(r"<code>patient\.view</code>", page.text)
    assert len(rows) == 1
    assert f"opened {patient.display_name}&#39;s page" in page.text
    assert second_patient.display_name not in page.text
    # A filter that is not a date or a page number is refused in words, not ignored.
    assert admin_client.get("/clinic/admin/audit?since=garbage").status_code == 400
    assert admin_client.get("/clinic/admin/audit?page=-3").status_code == 400


def test_clinician_sign_in_with_two_factor_via_the_fixture(app, admin):
    assert sign_in_with_code(app.test_client(), admin).status_code == 302
