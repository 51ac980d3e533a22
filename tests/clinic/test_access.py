"""Access: signed out goes to sign-in; another clinic's objects do not exist (404)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from aftercare.models import Alert, Appointment, ClinicianSession, Device, utcnow
from tests.conftest import csrf_from

# Every clinician route that names a patient or alert, with its method.
PATIENT_ROUTES = [
    ("GET", "/clinic/patients/{patient}"),
    ("POST", "/clinic/patients/{patient}/infusions"),
    ("POST", "/clinic/patients/{patient}/enrollment-link"),
    ("POST", "/clinic/patients/{patient}/devices/{device}/revoke"),
    ("POST", "/clinic/alerts/{alert}/acknowledge"),
    ("POST", "/clinic/patients/{patient}/appointments"),
    ("GET", "/clinic/appointments/{appointment}/edit"),
    ("POST", "/clinic/appointments/{appointment}/edit"),
    ("POST", "/clinic/appointments/{appointment}/cancel"),
    ("GET", "/clinic/patients/{patient}/check-ins.csv"),
    ("GET", "/clinic/patients/{patient}/fhir.json"),
    ("POST", "/clinic/security/sessions/{session}/end"),
]
CLINIC_ROUTES = [
    ("GET", "/clinic/"),
    ("GET", "/clinic/patients/new"),
    ("GET", "/clinic/settings"),
    ("GET", "/clinic/export/check-ins.csv"),
    ("GET", "/clinic/security/two-factor"),
    ("GET", "/clinic/security/sessions"),
    ("POST", "/clinic/security/sessions/end-others"),
]


@pytest.fixture
def objects(phone, db, patient, clinician):  # noqa: ANN001, ANN201
    phone.check_in(suicidal_thoughts="y")
    appointment = Appointment(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind="follow_up",
        starts_at=utcnow() + timedelta(days=2),
    )
    db.session.add(appointment)
    signed_in = ClinicianSession(clinician_id=clinician.id, token_hash="0" * 64, device="Firefox")
    db.session.add(signed_in)
    db.session.commit()
    return {
        "session": signed_in.id,
        "appointment": appointment.id,
        "patient": patient.id,
        "device": db.session.scalar(select(Device)).id,
        "alert": db.session.scalar(select(Alert)).id,
    }


@pytest.mark.parametrize(("method", "route"), PATIENT_ROUTES + CLINIC_ROUTES)
def test_signed_out_visitors_are_sent_to_sign_in(client, objects, method, route):
    response = client.open(route.format(**objects), method=method)
    if method == "GET":
        assert response.status_code == 302
        assert "/clinic/login" in response.headers["Location"]
    else:
        # A POST without a session has no CSRF token either: refused before anything runs.
        assert response.status_code in (302, 400)


@pytest.mark.parametrize(("method", "route"), PATIENT_ROUTES)
def test_another_clinics_clinician_gets_404(other_clinician_client, objects, method, route):
    token = csrf_from(other_clinician_client.get("/clinic/patients/new").text)
    response = other_clinician_client.open(
        route.format(**objects), method=method, data={"csrf_token": token}
    )
    assert response.status_code == 404


def test_another_clinics_clinician_does_not_see_the_patient_or_alert(
    other_clinician_client, objects
):
    page = other_clinician_client.get("/clinic/").text
    assert "Alex" not in page
    assert "Crisis" not in page


def test_a_colleague_in_the_same_clinic_sees_the_patient(app, colleague, objects):
    from tests.conftest import sign_in

    client = app.test_client()
    sign_in(client, colleague.email)
    assert client.get(f"/clinic/patients/{objects['patient']}").status_code == 200


def test_clinic_forms_refuse_a_post_without_a_csrf_token(clinician_client, patient):
    response = clinician_client.post("/clinic/patients/new", data={"display_name": "Eve"})
    assert response.status_code == 400


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, clinician):
    from tests.conftest import sign_in

    response = sign_in(client, clinician.email, "not the password")
    assert response.status_code == 401
    assert "do not match an account" in response.text
    assert client.get("/clinic/").status_code == 302


def test_a_disabled_clinician_cannot_sign_in(client, db, clinician):
    from tests.conftest import sign_in

    clinician.is_enabled = False
    db.session.commit()
    assert sign_in(client, clinician.email).status_code == 401


ADMIN_ROUTES = [
    ("GET", "/clinic/settings"),
    ("POST", "/clinic/settings"),
    ("GET", "/clinic/admin/clinicians"),
    ("POST", "/clinic/admin/clinicians"),
    ("POST", "/clinic/admin/clinicians/{colleague}/disable"),
    ("POST", "/clinic/admin/clinicians/{colleague}/enable"),
    ("POST", "/clinic/admin/clinicians/{colleague}/reset-two-factor"),
    ("POST", "/clinic/admin/clinicians/{colleague}/reset-password"),
    ("GET", "/clinic/admin/audit"),
    ("POST", "/clinic/admin/patients/{patient}/delete"),
]


@pytest.mark.parametrize(("method", "route"), ADMIN_ROUTES)
def test_admin_pages_are_403_for_a_clinician(clinician_client, colleague, patient, method, route):
    token = csrf_from(clinician_client.get("/clinic/patients/new").text)
    response = clinician_client.open(
        route.format(colleague=colleague.id, patient=patient.id),
        method=method,
        data={"csrf_token": token},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "route"), ADMIN_ROUTES)
def test_admin_pages_send_signed_out_visitors_to_sign_in(client, colleague, patient, method, route):
    response = client.open(route.format(colleague=colleague.id, patient=patient.id), method=method)
    assert response.status_code in ((302,) if method == "GET" else (302, 400))


# Reached before sign-in, on purpose: signing in itself, and an invitation's own link.
OPEN_ROUTES = {"/clinic/login", "/clinic/login/verify", "/clinic/invite/<token>", "/clinic/logout"}


def test_the_matrix_covers_every_clinician_route(app):
    """A new clinician page must join the access tests above before it can ship."""
    covered = {route for _, route in PATIENT_ROUTES + CLINIC_ROUTES + ADMIN_ROUTES}
    covered = {re.sub(r"\{(\w+)\}", "<x>", route) for route in covered}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/clinic") or rule.rule in OPEN_ROUTES:
            continue
        shape = re.sub(r"<(?:\w+:)?\w+>", "<x>", rule.rule)
        assert shape in covered, f"{rule.rule} is not in the access tests"
