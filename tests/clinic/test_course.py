"""Planning a treatment course from the patient page, over real HTTP: the plan is stored and
audited, each infusion recorded fills the next place, and the patient list and the patient's
Today page say where the patient is."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import select

from aftercare.models import AuditEvent, TreatmentCourse, utcnow
from tests.clinic.http_browser import HttpBrowser
from tests.conftest import add_patient, csrf_from, enrollment_token

TIMEOUT_S = 10


def next_monday(clinic) -> date:  # noqa: ANN001
    today = utcnow().astimezone(clinic.tz).date()
    return today + timedelta(days=7 - today.weekday())


def plan(browser: HttpBrowser, patient_id: int, **fields: str) -> requests.Response:
    data = {"series_count": "6", "span_days": "17", "maintenance": "as_needed", **fields}
    return browser.submit(
        f"/clinic/patients/{patient_id}", data, action=f"/clinic/patients/{patient_id}/course"
    )


@pytest.fixture
def signed_in(waitress, clinician) -> HttpBrowser:  # noqa: ANN001
    browser = HttpBrowser(waitress.url)
    assert browser.sign_in(clinician.email).status_code == 302
    return browser


def record_infusion(browser: HttpBrowser, patient_id: int, day: date) -> None:
    response = browser.submit(
        f"/clinic/patients/{patient_id}",
        {"day": day.isoformat(), "started": "09:00", "ended": "09:50"},
        action=f"/clinic/patients/{patient_id}/infusions",
    )
    assert response.status_code == 303, response.text[:500]


def test_a_clinician_plans_six_infusions_over_two_and_a_half_weeks(
    signed_in, db, clinic, clinician
):
    patient = add_patient(db, clinic, "Dana", hours_ago=None)
    monday = next_monday(clinic)

    response = plan(signed_in, patient.id, first_day=monday.isoformat())

    assert response.status_code == 303, response.text[:500]
    db.session.rollback()
    course = db.session.scalar(select(TreatmentCourse))
    assert course.patient_id == patient.id
    assert course.series_count == 6
    offsets = [(date.fromisoformat(d) - monday).days for d in course.target_dates]
    assert offsets == [0, 3, 7, 10, 14, 17]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "course.plan"))
    assert (event.patient_id, event.actor) == (patient.id, f"clinician:{clinician.id}")
    assert event.detail["series_count"] == 6
    page = signed_in.get(f"/clinic/patients/{patient.id}").text
    assert "Infusion 0 of 6" in page
    assert monday.strftime("%a %d %b") in page


def test_replanning_changes_the_one_course_and_is_audited_as_a_change(signed_in, db, clinic):
    patient = add_patient(db, clinic, "Dana", hours_ago=None)
    monday = next_monday(clinic)
    assert plan(signed_in, patient.id, first_day=monday.isoformat()).status_code == 303

    response = plan(
        signed_in,
        patient.id,
        first_day=monday.isoformat(),
        series_count="4",
        maintenance="every_weeks",
        booster_every_weeks="4",
    )

    assert response.status_code == 303
    db.session.rollback()
    [course] = db.session.scalars(select(TreatmentCourse)).all()
    assert (course.series_count, course.maintenance, course.booster_every_weeks) == (
        4,
        "every_weeks",
        4,
    )
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.startswith("course."))
    ).all()
    assert sorted(actions) == ["course.plan", "course.update"]


BAD_PLANS = [
    ({"maintenance": "every_weeks"}, "Enter the weeks between boosters."),
    ({"series_count": "0"}, "Enter from 1 to 12."),
    ({"series_count": "99"}, "Enter from 1 to 12."),
    ({"series_count": "six"}, "Not a valid integer value."),
    ({"maintenance": "monthly"}, "Not a valid choice"),
    ({"first_day": "2026-02-31"}, "Not a valid date value"),
    ({"booster_every_weeks": "9" * 400, "maintenance": "every_weeks"}, "Not a valid integer"),
    ({"span_days": "-1"}, "Enter from 0 to 90 days."),
]


def test_a_plan_that_makes_no_sense_is_refused_with_the_reason_and_nothing_stored(
    signed_in, db, clinic
):
    patient = add_patient(db, clinic, "Dana", hours_ago=None)
    for fields, error in BAD_PLANS:
        data = {"first_day": next_monday(clinic).isoformat(), **fields}

        response = plan(signed_in, patient.id, **data)

        assert response.status_code == 422, fields
        assert error in response.text, (fields, error)
    db.session.rollback()
    assert db.session.scalar(select(TreatmentCourse)) is None


def test_another_clinics_patient_cannot_be_given_a_course(signed_in, db, other_clinic_patient):
    response = signed_in.submit(
        "/clinic/",
        {"first_day": "2026-03-02", "series_count": "6", "span_days": "17"},
        action=f"/clinic/patients/{other_clinic_patient.id}/course",
    )

    assert response.status_code == 404
    db.session.rollback()
    assert db.session.scalar(select(TreatmentCourse)) is None


def test_each_infusion_recorded_fills_the_next_place_on_the_patient_list(signed_in, db, clinic):
    patient = add_patient(db, clinic, "Dana", hours_ago=None)
    today = utcnow().astimezone(clinic.tz).date()
    start = today - timedelta(days=7)
    assert plan(signed_in, patient.id, first_day=start.isoformat()).status_code == 303
    assert "0 of 6" in signed_in.get("/clinic/").text

    record_infusion(signed_in, patient.id, start)
    record_infusion(signed_in, patient.id, start + timedelta(days=3))

    listing = signed_in.get("/clinic/").text
    assert "2 of 6" in listing
    # The next place's target date is ahead (day 7 of the plan is today).
    assert f"next {(start + timedelta(days=7)).strftime('%d %b')}" in listing


def enrolled_phone(base_url: str, db, patient) -> requests.Session:  # noqa: ANN001
    phone = requests.Session()
    token = enrollment_token(db, patient)
    page = phone.get(f"{base_url}/enroll/{token}", timeout=TIMEOUT_S)
    confirmed = phone.post(
        f"{base_url}/enroll/{token}",
        data={"csrf_token": csrf_from(page.text)},
        allow_redirects=False,
        timeout=TIMEOUT_S,
    )
    assert confirmed.status_code == 303
    return phone


def test_the_patient_sees_their_place_and_the_next_day_in_their_language(
    waitress, signed_in, db, clinic
):
    patient = add_patient(db, clinic, "Dana", hours_ago=None)
    today = utcnow().astimezone(clinic.tz).date()
    start = today - timedelta(days=8)
    first_day = start.isoformat()
    assert plan(signed_in, patient.id, first_day=first_day, span_days="10").status_code == 303
    # Six over ten days: days 0, 2, 4, 6, 8, 10. Three done; the fourth was due two days ago,
    # so the next is booked.
    for offset in (0, 2, 4):
        record_infusion(signed_in, patient.id, start + timedelta(days=offset))
    booked = today + timedelta(days=2)
    booking = signed_in.submit(
        f"/clinic/patients/{patient.id}",
        {
            "kind": "infusion",
            "day": booked.isoformat(),
            "starts": "10:00",
            "duration_minutes": "60",
        },
        action=f"/clinic/patients/{patient.id}/appointments",
    )
    assert booking.status_code == 303, booking.text[:300]
    phone = enrolled_phone(waitress.url, db, patient)

    today_page = phone.get(f"{waitress.url}/today", timeout=TIMEOUT_S).text
    spanish = phone.get(
        f"{waitress.url}/today", headers={"Accept-Language": "es"}, timeout=TIMEOUT_S
    ).text

    weekday = booked.strftime("%A")
    assert f"Infusion 3 of 6</strong> — next on {weekday}" in today_page
    dias = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
    assert f"Infusión 3 de 6</strong> — la próxima, el {dias[booked.weekday()]}" in spanish


def test_after_the_series_the_patient_reads_what_comes_next(waitress, signed_in, db, clinic):
    patient = add_patient(db, clinic, "Dana", hours_ago=None)
    today = utcnow().astimezone(clinic.tz).date()
    start = today - timedelta(days=10)
    fields = {"first_day": start.isoformat(), "series_count": "2", "span_days": "3"}
    assert plan(signed_in, patient.id, **fields).status_code == 303
    for offset in (0, 3):
        record_infusion(signed_in, patient.id, start + timedelta(days=offset))
    phone = enrolled_phone(waitress.url, db, patient)

    page = phone.get(f"{waitress.url}/today", timeout=TIMEOUT_S).text

    assert "You have had all 2 infusions of your first series." in page
    assert "You and your clinic will decide together if you need a booster." in page
