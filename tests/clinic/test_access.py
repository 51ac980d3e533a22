"""Access: signed out goes to sign-in; another clinic's objects do not exist (404)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_login import login_user
from sqlalchemy import func, select

from aftercare.clinic.access import get_for_clinic
from aftercare.models import (
    Alert,
    Appointment,
    AuditEvent,
    BoosterReview,
    CheckIn,
    Clinician,
    ClinicianSession,
    Device,
    Patient,
    utcnow,
)
from tests.clinic.http_browser import HttpBrowser
from tests.conftest import add_admin, csrf_from, sign_in_with_code, statements

# Every clinician route that names a patient or alert, with its method.
PATIENT_ROUTES = [
    ("GET", "/clinic/patients/{patient}"),
    ("GET", "/clinic/patients/{patient}/added"),
    ("GET", "/clinic/patients/{patient}/edit"),
    ("POST", "/clinic/patients/{patient}/edit"),
    ("POST", "/clinic/patients/{patient}/infusions"),
    ("POST", "/clinic/patients/{patient}/course"),
    ("POST", "/clinic/booster-reviews/{review}/decision"),
    ("POST", "/clinic/patients/{patient}/enrollment-link"),
    ("POST", "/clinic/patients/{patient}/devices/{device}/revoke"),
    ("POST", "/clinic/patients/{patient}/email"),
    ("POST", "/clinic/alerts/{alert}/acknowledge"),
    ("POST", "/clinic/patients/{patient}/appointments"),
    ("GET", "/clinic/appointments/{appointment}/edit"),
    ("POST", "/clinic/appointments/{appointment}/edit"),
    ("POST", "/clinic/appointments/{appointment}/cancel"),
    ("POST", "/clinic/appointments/{appointment}/reply-handled"),
    ("GET", "/clinic/patients/{patient}/check-ins.csv"),
    ("GET", "/clinic/patients/{patient}/fhir.json"),
    ("GET", "/clinic/patients/{patient}/journal-entries.csv"),
    ("GET", "/clinic/patients/{patient}/questionnaires.csv"),
    ("GET", "/clinic/patients/{patient}/questionnaires.fhir.json"),
    ("POST", "/clinic/security/sessions/{session}/end"),
]
CLINIC_ROUTES = [
    ("GET", "/clinic/"),
    ("GET", "/clinic/patients/new"),
    ("GET", "/clinic/settings"),
    ("GET", "/clinic/outcomes"),
    ("GET", "/clinic/export/check-ins.csv"),
    ("GET", "/clinic/export/journal-entries.csv"),
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
    review = BoosterReview(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        instrument_id="pcl5",
        total=40,
        lowest=20,
    )
    db.session.add(review)
    db.session.commit()
    return {
        "session": signed_in.id,
        "appointment": appointment.id,
        "patient": patient.id,
        "device": db.session.scalar(select(Device)).id,
        "alert": db.session.scalar(select(Alert)).id,
        "review": review.id,
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
    ("GET", "/clinic/settings/{section}"),
    ("POST", "/clinic/settings/{section}"),
    ("GET", "/clinic/settings/thresholds"),
    ("POST", "/clinic/settings/thresholds"),
    ("GET", "/clinic/admin/clinicians"),
    ("POST", "/clinic/admin/clinicians"),
    ("POST", "/clinic/admin/clinicians/{colleague}/disable"),
    ("POST", "/clinic/admin/clinicians/{colleague}/enable"),
    ("POST", "/clinic/admin/clinicians/{colleague}/reset-two-factor"),
    ("POST", "/clinic/admin/clinicians/{colleague}/reset-password"),
    ("GET", "/clinic/admin/audit"),
    ("POST", "/clinic/admin/patients/{patient}/delete"),
    ("GET", "/clinic/learn"),
    ("GET", "/clinic/learn/new"),
    ("POST", "/clinic/learn/new"),
    ("GET", "/clinic/learn/{article}"),
    ("POST", "/clinic/learn/{article}"),
    ("GET", "/clinic/journal-prompts"),
    ("POST", "/clinic/journal-prompts"),
]


@pytest.mark.parametrize(("method", "route"), ADMIN_ROUTES)
def test_admin_pages_are_403_for_a_clinician(clinician_client, colleague, patient, method, route):
    token = csrf_from(clinician_client.get("/clinic/patients/new").text)
    response = clinician_client.open(
        route.format(
            colleague=colleague.id, patient=patient.id, article="insurance", section="crisis"
        ),
        method=method,
        data={"csrf_token": token},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "route"), ADMIN_ROUTES)
def test_admin_pages_send_signed_out_visitors_to_sign_in(client, colleague, patient, method, route):
    response = client.open(
        route.format(
            colleague=colleague.id, patient=patient.id, article="insurance", section="crisis"
        ),
        method=method,
    )
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


# What each id in a clinician's address names: the first clinic's object of that kind.
ID_NAMES = {
    "patient_id": "patient",
    "device_id": "device",
    "alert_id": "alert",
    "appointment_id": "appointment",
    "clinician_id": "colleague",
    "session_id": "session",
    "review_id": "review",
}
# Parts of an address that are not ids: an invitation's own link; a Learn article's name (the
# clinic's own articles live in its content, so there is no other clinic's one to open).
NOT_IDS = {"token", "slug"}
NOT_FOUND = {"error": "not_found", "message": "There is nothing here."}


def routes_with_ids(app) -> list[tuple[str, str]]:  # noqa: ANN001
    """Every clinician route that names an object by id, once for each method, from the URL map."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/clinic") or not rule.arguments - NOT_IDS:
            continue
        unknown = rule.arguments - ID_NAMES.keys() - NOT_IDS
        assert not unknown, f"{rule.rule}: add to ID_NAMES which object {unknown} names"
        found += [(method, rule.rule) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def address(rule: str, ids: dict[str, int]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[ID_NAMES[m.group(1)]]), rule)


@pytest.fixture
def other_admin(db, other_clinic) -> Clinician:  # noqa: ANN001
    """An admin of another clinic: past every role check, so only the object's clinic is left."""
    return add_admin(db, other_clinic, "admin@hillside.test")


@pytest.fixture
def ids(objects, colleague):  # noqa: ANN001, ANN201
    """The ids of the first clinic's objects, by the names ID_NAMES gives them."""
    return {**objects, "colleague": colleague.id}


def audit_rows(db) -> int:  # noqa: ANN001
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def assert_untouched(db, ids: dict[str, int], clinic_id: int, audited_before: int) -> None:  # noqa: ANN001
    """None of the first clinic's objects was changed, and nothing about them was audited."""
    db.session.expire_all()
    assert db.session.get(Patient, ids["patient"]) is not None
    assert db.session.get(Alert, ids["alert"]).acknowledged_at is None
    assert db.session.get(Device, ids["device"]).revoked_at is None
    assert db.session.get(Appointment, ids["appointment"]).cancelled_at is None
    assert db.session.get(Clinician, ids["colleague"]).is_enabled
    assert db.session.get(ClinicianSession, ids["session"]) is not None
    assert db.session.get(BoosterReview, ids["review"]).decided_at is None
    # Signing in is audited, in the other clinic's trail.
    events = db.session.scalars(
        select(AuditEvent).order_by(AuditEvent.id).offset(audited_before)
    ).all()
    assert [event.action for event in events if event.clinic_id == clinic_id] == []


def test_every_route_with_an_id_is_404_for_another_clinics_object(app, db, other_admin, ids):
    """Generated from the URL map: a new route that takes an id is checked from the start."""
    client = app.test_client()
    assert sign_in_with_code(client, other_admin).status_code == 302
    token = csrf_from(client.get("/clinic/patients/new").text)
    audited_before = audit_rows(db)
    answers = {}
    for method, rule in routes_with_ids(app):
        response = client.open(
            address(rule, ids),
            method=method,
            data={"csrf_token": token} if method == "POST" else None,
            headers={"Accept": "application/json"},
        )
        answers[method, rule] = (response.status_code, response.get_json(silent=True))
    assert len(answers) >= len(PATIENT_ROUTES), answers
    # 404 as for an id that does not exist, in the app's own words: not 403, not 500.
    wrong = {route: answer for route, answer in answers.items() if answer != (404, NOT_FOUND)}
    assert wrong == {}
    assert_untouched(db, ids, db.session.get(Patient, ids["patient"]).clinic_id, audited_before)


def test_each_page_module_is_404_for_another_clinics_admin_over_http(
    waitress, db, other_admin, ids
):
    """One route of each module that loads by id, through a real server, as another clinic."""
    audited_before = audit_rows(db)
    browser = HttpBrowser(waitress.url)
    assert browser.sign_in_with_code(other_admin, other_admin.test_totp_secret).status_code == 302
    gets = [
        "/clinic/patients/{patient}",  # patients.py
        "/clinic/appointments/{appointment}/edit",  # appointments.py
        "/clinic/patients/{patient}/fhir.json",  # export_views.py
        "/clinic/patients/{patient}/journal-entries.csv",  # journal_entries.py
    ]
    posts = [
        "/clinic/patients/{patient}/infusions",  # infusions.py
        "/clinic/patients/{patient}/course",  # course.py
        "/clinic/patients/{patient}/enrollment-link",  # devices.py
        "/clinic/patients/{patient}/devices/{device}/revoke",  # devices.py
        "/clinic/patients/{patient}/email",  # patient_email.py
        "/clinic/alerts/{alert}/acknowledge",  # alerts.py
        "/clinic/booster-reviews/{review}/decision",  # booster_reviews.py
        "/clinic/admin/clinicians/{colleague}/disable",  # admin.py
        "/clinic/admin/patients/{patient}/delete",  # admin.py
    ]
    answers = {path: browser.get(path.format(**ids)).status_code for path in gets}
    for path in posts:
        response = browser.submit("/clinic/patients/new", {}, action=path.format(**ids))
        answers[path] = response.status_code
    assert set(answers.values()) == {404}, answers
    # The pages without an id (dashboard.py, settings_page.py) show the admin's own clinic.
    dashboard, settings = browser.get("/clinic/"), browser.get("/clinic/settings/clinic")
    assert (dashboard.status_code, settings.status_code) == (200, 200)
    assert "Alex" not in dashboard.text
    assert "Hillside Clinic" in settings.text and "Riverside" not in settings.text
    assert_untouched(db, ids, db.session.get(Patient, ids["patient"]).clinic_id, audited_before)


@pytest.mark.parametrize(
    ("model", "route"),
    [(Alert, "/clinic/alerts/{}/acknowledge"), (Appointment, "/clinic/appointments/{}/cancel")],
)
def test_an_object_belongs_to_the_clinic_of_its_patient(
    db, objects, other_clinician, other_clinician_client, model, route
):
    """Checked through the patient: a row that names another clinic does not take it there."""
    row = db.session.get(model, objects[model.__name__.lower()])
    row.clinic_id = other_clinician.clinic_id
    db.session.commit()
    token = csrf_from(other_clinician_client.get("/clinic/patients/new").text)
    response = other_clinician_client.post(route.format(row.id), data={"csrf_token": token})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Alert, objects["alert"]).acknowledged_at is None
    assert db.session.get(Appointment, objects["appointment"]).cancelled_at is None


def test_a_phone_of_another_patient_is_not_found_through_this_one(
    clinician_client, objects, second_patient
):
    """The same 404 as every other, also for a client that asked for JSON."""
    token = csrf_from(clinician_client.get("/clinic/patients/new").text)
    response = clinician_client.post(
        f"/clinic/patients/{second_patient.id}/devices/{objects['device']}/revoke",
        data={"csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert (response.status_code, response.get_json(silent=True)) == (404, NOT_FOUND)


def test_an_object_and_its_patient_are_read_in_one_query(app, db, objects, clinician):
    with app.test_request_context():
        login_user(clinician)
        assert clinician.clinic_id  # the signed-in clinician is loaded before counting
        with statements(db.engine) as seen:
            device = get_for_clinic(Device, objects["device"], patient_id=objects["patient"])
            assert device.patient.display_name == "Alex"
    assert seen == ["SELECT"]


def test_a_kind_of_object_without_a_clinic_rule_is_refused_not_loaded(app, clinician):
    with app.test_request_context():
        login_user(clinician)
        with pytest.raises(TypeError, match="CheckIn"):
            get_for_clinic(CheckIn, 1)
