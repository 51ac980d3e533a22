"""A patient answers a PHQ-9 on their phone; a crisis answer is acted on at once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from aftercare.extensions import db
from aftercare.models import Alert, Clinic, Patient
from aftercare.patient.checkins import CheckInData, save_check_in
from tests.browser.conftest import Demo, LiveServer
from tests.conftest import add_patient

pytestmark = pytest.mark.browser


def test_phq9_item_9_shows_the_crisis_screen_and_tops_the_alert_queue(
    enrolled: Page, desktop: BrowserContext, live_server: LiveServer, demo: Demo
) -> None:
    page = enrolled
    # A less urgent alert from another patient, newer than the crisis will be... or older:
    # either way the crisis must come first.
    with live_server.app.app_context():
        clinic = db.session.scalar(
            select(Clinic).join(Patient).where(Patient.id == demo.patient_id)
        )
        other = add_patient(db, clinic, "Blair")
        save_check_in(other, None, CheckInData("rash-first", {"rash_itching": 1}))

    page.goto("/questionnaires/phq9")
    expect(page.locator("#alert-now")).to_be_hidden()
    items = page.locator("fieldset.choice--column")
    for number in range(1, 10):
        label = "Several days" if number == 9 else "Not at all"
        items.nth(number - 1).get_by_label(label).check()
    # The crisis step shows the moment item 9 is answered, before anything is sent.
    expect(page.locator("#alert-now")).to_be_visible()
    expect(page.locator('#alert-now a[href="tel:988"]')).to_be_visible()
    page.get_by_role("button", name="Send answers").tap()

    page.wait_for_url(re.compile(r"/questionnaires/responses/\d+$"))
    action = page.locator("section.action--crisis")
    expect(action.get_by_role("heading", name="Call or text 988 now")).to_be_visible()
    expect(action.locator('a[href="sms:988"]')).to_be_visible()

    with live_server.app.app_context():
        alert = db.session.scalar(select(Alert).where(Alert.patient_id == demo.patient_id))
        assert alert.level == "crisis" and alert.reasons == ["phq9_item9"]

    clinic_page = desktop.new_page()
    clinic_page.goto("/clinic/login")
    clinic_page.locator("input[name=email]").fill(demo.clinician_email)
    clinic_page.locator("input[name=password]").fill(demo.clinician_password)
    clinic_page.get_by_role("button", name="Sign in").click()
    clinic_page.wait_for_url("**/clinic/")
    alerts = clinic_page.locator("ol.alerts > li")
    expect(alerts).to_have_count(2)
    expect(alerts.first.locator(".badge")).to_have_text("Crisis")
    expect(alerts.first).to_contain_text(demo.patient_name)
    expect(alerts.first).to_contain_text("PHQ-9 item 9")
