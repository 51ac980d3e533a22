"""Who reminders can reach, as a nurse sees it on a 1366×900 laptop and a 390×844 phone: the
dashboard's count of patients with an appointment soon whom nothing reaches, the list it
links to, and the line under a patient's name."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from aftercare.extensions import db
from aftercare.models import Clinic, PatientEmail, utcnow
from tests.browser.conftest import LiveServer
from tests.browser.test_clinician import accessibility_violations, assert_no_violations
from tests.browser.test_clinician_screens import (  # noqa: F401 (fixtures)
    NO_SIDEWAYS_SCROLL,
    PHONE_SIZE,
    clinic_id,
    laptop,
    signed_in,
)
from tests.conftest import add_patient, book_appointment

pytestmark = pytest.mark.browser


def a_clinic_with_someone_unreachable(live_server: LiveServer, clinic_id: int) -> int:  # noqa: F811
    """Twelve patients with a follow-up in two days: one only by email (confirmed), one whose
    address the mail server refused, the others with nothing. Returns the refused one's id."""
    with live_server.app.app_context():
        clinic = db.session.get(Clinic, clinic_id)
        patients = [add_patient(db, clinic, f"Patient {n:02d}") for n in range(12)]
        for patient in patients:
            book_appointment(db, patient, "follow_up", timedelta(days=2))
        db.session.add(
            PatientEmail(patient_id=patients[0].id, address="a@example.org", verified_at=utcnow())
        )
        db.session.add(
            PatientEmail(
                patient_id=patients[1].id,
                address="b@example.org",
                verified_at=utcnow(),
                undeliverable_at=utcnow(),
                undeliverable_reason="The mail server refused this address (550).",
            )
        )
        db.session.commit()
        return patients[1].id


def test_the_nurse_sees_who_cannot_be_reached_and_opens_that_list(
    browser: Browser,
    laptop: BrowserContext,  # noqa: F811
    live_server: LiveServer,
    clinic_id: int,  # noqa: F811
) -> None:
    refused = a_clinic_with_someone_unreachable(live_server, clinic_id)
    # The live server sends no email: a confirmed address reaches nobody there.
    count = "12 patients with an appointment in the next 7 days cannot be reached"

    page = signed_in(laptop)
    told = page.locator("#reach-soon")
    expect(told).to_contain_text(count)
    box = told.bounding_box()
    assert box and box["y"] + box["height"] <= 900, "the count is on the first screen"
    told.get_by_role("link", name="Show them").click()
    page.wait_for_url("**/clinic/?reach=unreachable")
    expect(page.get_by_role("link", name="Show all patients")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Patient 01")
    expect(row.get_by_role("cell").filter(has_text="Not reachable")).to_contain_text(
        "Email: refused by the mail server"
    )
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert_no_violations(accessibility_violations(page))

    page.goto(f"/clinic/patients/{refused}")
    expect(page.locator("#reach")).to_contain_text("Not reachable")
    expect(page.get_by_role("region", name="Needs action")).to_contain_text(
        "No reminder can reach this patient"
    )
    expect(page.get_by_role("region", name="Email for reminders")).to_contain_text("Email is off")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert_no_violations(accessibility_violations(page))

    phone = browser.new_context(base_url=live_server.url, **PHONE_SIZE)
    try:
        page = signed_in(phone)
        expect(page.locator("#reach-soon")).to_contain_text(count)
        page.goto("/clinic/?reach=unreachable")
        cell = (
            page.get_by_role("row")
            .filter(has_text="Patient 01")
            .locator("td[data-label=Reminders]")
        )
        expect(cell).to_contain_text("Not reachable")
        box = cell.bounding_box()
        assert box and box["x"] + box["width"] <= 390
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        assert_no_violations(accessibility_violations(page))
        page.goto(f"/clinic/patients/{refused}")
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        assert_no_violations(accessibility_violations(page))
    finally:
        phone.close()
