"""Access on the patient's side: a phone opens its own patient's things by id, and another
patient's do not exist (404). Every patient route that takes an id is checked, read from the
app's URL map, so a new one cannot ship unchecked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from aftercare.models import AuditEvent, CompanionLink
from aftercare.patient.checkins import CheckInData, save_check_in
from aftercare.patient_access import PATIENT_BLUEPRINTS
from aftercare.questionnaires.service import Submission, instruments, save_response
from tests.conftest import PatientPhone, book_appointment, csrf_from, enrollment_token
from tests.http_client import TIMEOUT_S, linked_phone
from tests.patient.test_companion import make_link

ROUTE_ID = re.compile(r"<int:(\w+)>")


def things_of(phone: PatientPhone, db) -> dict[str, int]:  # noqa: ANN001
    """One of each thing a patient opens by id, by the name routes give its id."""
    patient = phone.patient
    check_in, _ = save_check_in(patient, None, CheckInData(f"check-in-{patient.id:04}", {}))
    phq9 = instruments()["phq9"]
    answers = {number: 0 for number in range(1, 10)}
    response, _ = save_response(
        patient, None, Submission(phq9, f"phq9-{patient.id:08}", answers, {}, None)
    )
    appointment = book_appointment(db, patient, "follow_up", timedelta(days=2))
    db.session.commit()
    make_link(phone)
    link = db.session.scalar(select(CompanionLink).where(CompanionLink.patient_id == patient.id))
    return {
        "check_in_id": check_in.id,
        "response_id": response.id,
        "appointment_id": appointment.id,
        "link_id": link.id,
    }


def patient_routes_with_ids(app) -> list[tuple[str, str]]:  # noqa: ANN001
    """(method, rule) of every route of a patient page that names something by id."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".", 1)[0] in PATIENT_BLUEPRINTS and ROUTE_ID.search(rule.rule):
            found += [(method, rule.rule) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(found)


def address(rule: str, ids: dict[str, int]) -> str:
    unknown = set(ROUTE_ID.findall(rule)) - set(ids)
    assert not unknown, f"{rule} names {unknown}: add one to things_of() so it is checked"
    return ROUTE_ID.sub(lambda match: str(ids[match.group(1)]), rule)


def audit_rows(db) -> int:  # noqa: ANN001
    return db.session.scalar(select(func.count(AuditEvent.id)))


def test_every_patient_route_with_an_id_is_404_for_another_patients_things(
    app, db, phone, second_phone
):
    routes = patient_routes_with_ids(app)
    # Today's four: a check-in's result, a questionnaire's result, a calendar file, stopping a
    # companion link. Fewer would mean the URL map is not read as this test thinks.
    assert len(routes) >= 4, routes
    mine = things_of(phone, db)
    theirs = things_of(second_phone, db)
    token = csrf_from(phone.client.get("/companion").text)
    # What the routes that post an answer need besides the token (an appointment's reply).
    form = {"csrf_token": token, "reply": "confirmed", "channel": "app"}
    written = audit_rows(db)
    answers = {
        (method, rule): phone.client.open(
            address(rule, theirs), method=method, data=form
        ).status_code
        for method, rule in routes
    }
    assert answers == {route: 404 for route in routes}
    assert audit_rows(db) == written  # nothing was done, nothing was seen
    link = db.session.get(CompanionLink, theirs["link_id"])
    assert link.revoked_at is None
    # The same routes open the phone's own things: the 404s above are about whose they are.
    for method, rule in routes:
        response = phone.client.open(address(rule, mine), method=method, data=form)
        assert response.status_code in (200, 303), (method, rule, response.status_code)


def test_a_cancelled_appointment_has_no_calendar_file(db, phone):
    appointment = book_appointment(db, phone.patient, "follow_up", timedelta(days=2))
    db.session.commit()
    assert phone.client.get(f"/appointments/{appointment.id}.ics").status_code == 200
    appointment.cancelled_at = appointment.starts_at - timedelta(days=1)
    db.session.commit()
    assert phone.client.get(f"/appointments/{appointment.id}.ics").status_code == 404


def test_a_phone_is_404_for_another_patients_things_over_real_http(
    app, db, patient, second_patient, waitress
):
    phone = linked_phone(waitress, enrollment_token(db, patient))
    mine, _ = save_check_in(patient, None, CheckInData("mine-0001", {"headache": 1}))
    theirs, _ = save_check_in(second_patient, None, CheckInData("theirs-001", {"headache": 2}))

    def get(check_in_id: int) -> requests.Response:
        return phone.get(f"{waitress.url}/check-ins/{check_in_id}", timeout=TIMEOUT_S)

    assert get(mine.id).status_code == 200
    refused = get(theirs.id)
    assert refused.status_code == 404
    assert "There is nothing here." in refused.text
    # Exactly as an id that was never used (but for the address, which the language switch
    # on the page returns to): nothing says that the check-in exists.
    unused = theirs.id + 1000
    never = get(unused)
    assert never.status_code == 404
    assert never.text.replace(f"/check-ins/{unused}", f"/check-ins/{theirs.id}") == refused.text


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_phone_that_is_not_linked_opens_nothing_by_id(app, db, phone, method):
    mine = things_of(phone, db)
    stranger = app.test_client()
    for route_method, rule in patient_routes_with_ids(app):
        if route_method != method:
            continue
        response = stranger.open(address(rule, mine), method=method)
        # Not linked (401), or a write without a CSRF token (400): never the patient's things.
        assert response.status_code in (400, 401), (rule, response.status_code)
