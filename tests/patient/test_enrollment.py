"""Enrollment: a one-time link binds a phone, with no password."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from aftercare.models import Device, EnrollmentLink, utcnow
from aftercare.tokens import hash_token
from tests.conftest import csrf_from, enroll, enrollment_token


def test_opening_the_link_asks_before_using_it(client, db, patient):
    token = enrollment_token(db, patient)
    page = client.get(f"/enroll/{token}")
    assert page.status_code == 200
    assert "Link this phone" in page.text
    # A link preview or scanner that opens the link must not use it up.
    assert db.session.scalar(select(EnrollmentLink)).used_at is None


def test_enrolling_sets_a_long_lived_httponly_samesite_cookie(client, db, patient):
    response = enroll(client, enrollment_token(db, patient))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/today")
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("aftercare_device=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Max-Age=31536000" in cookie
    assert client.get("/today").status_code == 200


def test_only_a_hash_of_each_token_is_stored(client, db, patient):
    token = enrollment_token(db, patient)
    enroll(client, token)
    link = db.session.scalar(select(EnrollmentLink))
    assert link.token_hash == hash_token(token)
    device_cookie = client.get_cookie("aftercare_device").value
    device = db.session.scalar(select(Device))
    assert device.token_hash == hash_token(device_cookie)
    assert token not in str(link.__dict__) and device_cookie not in str(device.__dict__)


def test_a_used_link_is_refused_with_a_clear_page(app, client, db, patient):
    token = enrollment_token(db, patient)
    second_phone = app.test_client()
    opened_earlier = second_phone.get(f"/enroll/{token}")
    assert enroll(client, token).status_code == 303
    page = second_phone.get(f"/enroll/{token}")
    assert page.status_code == 410
    assert "already been used" in page.text
    # A confirm page opened before the link was used cannot use it afterwards either.
    late = second_phone.post(
        f"/enroll/{token}", data={"csrf_token": csrf_from(opened_earlier.text)}
    )
    assert late.status_code == 410
    assert "already been used" in late.text
    assert db.session.query(Device).count() == 1


def test_an_expired_link_is_refused_with_a_clear_page(client, db, patient):
    token = enrollment_token(db, patient)
    link = db.session.scalar(select(EnrollmentLink))
    link.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    page = client.get(f"/enroll/{token}")
    assert page.status_code == 410
    assert "expired" in page.text
    assert client.get("/today").status_code == 401


def test_links_expire_after_seven_days_by_default(app, clinician_client, db, patient):
    page = clinician_client.get(f"/clinic/patients/{patient.id}")
    clinician_client.post(
        f"/clinic/patients/{patient.id}/enrollment-link", data={"csrf_token": csrf_from(page.text)}
    )
    link = db.session.scalar(select(EnrollmentLink))
    assert abs(link.expires_at - (link.created_at + timedelta(days=7))) < timedelta(seconds=1)


def test_an_unknown_link_is_refused(client):
    page = client.get("/enroll/not-a-real-token")
    assert page.status_code == 404
    assert "not valid" in page.text


def test_a_new_link_replaces_the_unused_one(client, db, patient):
    old = enrollment_token(db, patient)
    new = enrollment_token(db, patient)
    assert client.get(f"/enroll/{old}").status_code == 410
    assert enroll(client, new).status_code == 303


def test_a_patient_may_link_several_phones(app, db, patient):
    for _ in range(2):
        assert enroll(app.test_client(), enrollment_token(db, patient)).status_code == 303
    assert db.session.query(Device).filter_by(patient_id=patient.id).count() == 2


def test_a_revoked_phone_is_signed_out(phone, db, clinician_client, patient):
    device = db.session.scalar(select(Device))
    page = clinician_client.get(f"/clinic/patients/{patient.id}")
    response = clinician_client.post(
        f"/clinic/patients/{patient.id}/devices/{device.id}/revoke",
        data={"csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303
    assert phone.client.get("/today").status_code == 401
    assert "not linked" in phone.client.get("/today").text
