"""The clinician's screens as a nurse meets them on a 1366×900 laptop and a 390×844 phone: the
alert queue's order on screen, what an urgent acknowledgement asks for, the layout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from aftercare.extensions import db
from aftercare.models import Clinic, Patient
from tests.browser.conftest import WAIT_MS, LiveServer
from tests.browser.test_clinician import accessibility_violations, assert_no_violations, sign_in
from tests.clinic.alert_stories import alert_waiting
from tests.conftest import PASSWORD, add_clinician, add_patient, book_appointment

pytestmark = pytest.mark.browser

LAPTOP = {"viewport": {"width": 1366, "height": 900}}
NURSE = "nurse@riverside.test"


@pytest.fixture
def laptop(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.url, **LAPTOP)
    context.set_default_timeout(WAIT_MS)
    yield context
    context.close()


@pytest.fixture
def clinic_id(live_server: LiveServer) -> int:
    """A clinic with its nurse, who signs in with NURSE and the tests' password."""
    with live_server.app.app_context():
        clinic = Clinic(name="Riverside Ketamine Clinic", timezone="America/New_York")
        db.session.add(clinic)
        db.session.commit()
        add_clinician(db, clinic, NURSE)
        return clinic.id


def signed_in(context: BrowserContext) -> Page:
    page = context.new_page()
    sign_in(page, NURSE, PASSWORD)
    page.wait_for_url("**/clinic/")
    return page


def on_screen_top_to_bottom(page: Page) -> list[str]:
    """Each open alert's patient, in the order a person reads them down the screen."""
    items = page.get_by_role("region", name="Open alerts").get_by_role("listitem")
    boxes = []
    for n in range(items.count()):
        item = items.nth(n)
        box = item.bounding_box()
        assert box is not None, "an open alert is not shown"
        boxes.append((box["y"], item.get_by_role("link").first.inner_text()))
    return [name for _, name in sorted(boxes)]


def test_the_nurse_reads_the_most_urgent_then_the_longest_waiting_first(
    laptop: BrowserContext, live_server: LiveServer, clinic_id: int
) -> None:
    with live_server.app.app_context():
        clinic = db.session.get(Clinic, clinic_id)
        for name, level, minutes in [
            ("Crisis 4 min", "crisis", 4),
            ("Call 12 h", "call_clinic", 12 * 60),
            ("Crisis 240 min", "crisis", 240),
            ("Crisis 3 min", "crisis", 3),
            ("Emergency 30 min", "emergency", 30),
        ]:
            alert_waiting(add_patient(db, clinic, name, hours_ago=14), level, minutes)
    page = signed_in(laptop)
    assert on_screen_top_to_bottom(page) == [
        "Emergency 30 min",
        "Crisis 240 min",
        "Crisis 4 min",
        "Crisis 3 min",
        "Call 12 h",
    ]
    expect(page.get_by_text("Not acknowledged for 240 minutes")).to_be_visible()
    assert_no_violations(accessibility_violations(page))


def test_a_crisis_is_acknowledged_only_with_a_note_and_the_nurse_is_told_what_happened(
    laptop: BrowserContext, live_server: LiveServer, clinic_id: int
) -> None:
    with live_server.app.app_context():
        clinic = db.session.get(Clinic, clinic_id)
        alert_waiting(add_patient(db, clinic, "Ivan R."), "crisis", 20)
        alert_waiting(add_patient(db, clinic, "Blair"), "call_clinic", 10)
    page = signed_in(laptop)
    queue = page.get_by_role("region", name="Open alerts").get_by_role("listitem")
    crisis = queue.filter(has_text="Ivan R.")
    note = crisis.get_by_label("Note of what was done (required)")

    crisis.get_by_role("button", name="Acknowledge").click()
    # The browser holds the form back and says why, on the field itself.
    assert note.evaluate("field => field.validity.valueMissing")
    expect(page).to_have_url(f"{live_server.url}/clinic/")
    expect(queue).to_have_count(2)

    # Spaces pass the browser's check; the server refuses them and shows the form again.
    note.fill("   ")
    crisis.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("heading", name="Acknowledge Ivan R.'s alert")).to_be_visible()
    field = page.get_by_label("Note of what was done (required)")
    expect(field).to_be_focused()
    expect(field).to_have_accessible_description(re.compile("Write what was done"))
    assert_no_violations(accessibility_violations(page))

    field.fill("Called Ivan; safety plan reviewed, his sister is with him tonight.")
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url("**/clinic/")
    expect(page.get_by_role("status").filter(has_text="acknowledged")).to_have_text(
        "Crisis alert for Ivan R. acknowledged. Note: Called Ivan; safety plan reviewed, "
        "his sister is with him tonight."
    )
    expect(queue).to_have_count(1)

    # Call the clinic: one click, the note optional.
    queue.first.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("status").filter(has_text="acknowledged")).to_have_text(
        "Call-the-clinic alert for Blair acknowledged."
    )
    expect(page.get_by_role("region", name="Open alerts")).to_contain_text("No open alerts.")
    assert_no_violations(accessibility_violations(page))


PHONE_SIZE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# A phone's page widens to what it holds, and innerWidth with it: compare with the screen.
NO_SIDEWAYS_SCROLL = "document.scrollingElement.scrollWidth <= screen.width"


def a_busy_clinic(live_server: LiveServer, clinic_id: int) -> int:
    """Three open alerts over thirty patients; returns the id of one with an alert."""
    with live_server.app.app_context():
        clinic = db.session.get(Clinic, clinic_id)
        patients = [add_patient(db, clinic, f"Patient {n:02d}", hours_ago=n + 1) for n in range(30)]
        patients[0].phone = "+12025550143"
        alert_waiting(patients[0], "crisis", 40, note="Not sleeping, thoughts are loud tonight")
        alert_waiting(patients[1], "emergency", 5, systolic=190, diastolic=125)
        alert_waiting(patients[2], "call_clinic", 200)
        return patients[0].id


def test_the_dashboard_sets_alerts_beside_patients_on_a_laptop_and_above_them_on_a_phone(
    browser: Browser, laptop: BrowserContext, live_server: LiveServer, clinic_id: int
) -> None:
    a_busy_clinic(live_server, clinic_id)
    page = signed_in(laptop)
    alerts = page.get_by_role("region", name="Open alerts").bounding_box()
    patients = page.get_by_role("region", name="Patients").bounding_box()
    assert alerts and patients
    assert alerts["x"] + alerts["width"] <= patients["x"], "side by side"
    assert abs(alerts["y"] - patients["y"]) < 5, "both start at the top"
    first_patient = page.get_by_role("row").nth(1).bounding_box()
    assert first_patient and first_patient["y"] + first_patient["height"] <= 900
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert_no_violations(accessibility_violations(page))

    phone = browser.new_context(base_url=live_server.url, **PHONE_SIZE)
    try:
        page = signed_in(phone)
        alerts = page.get_by_role("region", name="Open alerts").bounding_box()
        patients = page.get_by_role("region", name="Patients").bounding_box()
        assert alerts and patients
        assert alerts["y"] + alerts["height"] <= patients["y"], "stacked, alerts first"
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        # Every line of the patient list fits the screen's width.
        widest = page.locator(".dashboard__patients tr").evaluate_all(
            "rows => Math.max(...rows.map((row) => row.getBoundingClientRect().right))"
        )
        assert widest <= 390
        assert_no_violations(accessibility_violations(page))
    finally:
        phone.close()


def test_the_patient_page_leads_with_what_needs_action_and_keeps_the_reminder_log_folded(
    laptop: BrowserContext, live_server: LiveServer, clinic_id: int
) -> None:
    patient_id = a_busy_clinic(live_server, clinic_id)
    with live_server.app.app_context():
        book_appointment(db, db.session.get(Patient, patient_id), "follow_up", timedelta(days=2))
        db.session.commit()
    page = signed_in(laptop)
    page.goto(f"/clinic/patients/{patient_id}")
    headings = page.locator("main h2").all_inner_texts()
    # No questionnaire answered yet, so no questionnaire section.
    assert headings[:3] == ["Needs action", "Side effects over time", "Check-ins"]
    action = page.get_by_role("region", name="Needs action")
    box = action.get_by_role("button", name="Acknowledge").bounding_box()
    assert box and box["y"] + box["height"] <= 900, "the open alert is on the first screen"
    expect(action.get_by_role("link", name="Call Patient 00 at (202) 555-0143")).to_have_attribute(
        "href", "tel:+12025550143"
    )
    reminders = page.get_by_role("region", name="Reminders", exact=True)
    expect(reminders).to_contain_text("Next: ")
    log = reminders.get_by_role("table")
    expect(log).to_be_hidden()  # one tap away
    reminders.get_by_text("Every reminder and delivery attempt").click()
    expect(log).to_be_visible()
    assert_no_violations(accessibility_violations(page))
