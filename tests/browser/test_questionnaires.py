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


def test_a_questionnaire_answered_offline_arrives_once_when_back_online(
    enrolled: Page, live_server: LiveServer, demo: Demo
) -> None:
    from aftercare.models import QuestionnaireResponse
    from tests.browser.conftest import wait_until
    from tests.browser.test_patient_journey import go_offline, run_js, wait_for_pages_kept

    page = enrolled
    assert run_js(page, "() => navigator.serviceWorker.ready.then((reg) => !!reg.active)")
    page.goto("/questionnaires/gad7")  # opened once online, so the phone keeps it
    wait_for_pages_kept(page, ["/questionnaires/gad7"])
    go_offline(page, live_server)
    page.goto("/questionnaires/gad7")
    items = page.locator("fieldset.choice--column")
    for number in range(1, 8):
        items.nth(number - 1).get_by_label("Several days").check()
    page.get_by_role("button", name="Send answers").tap()
    expect(page.locator("#queued-result")).to_contain_text("Saved on this phone")

    def stored() -> int:
        with live_server.app.app_context():
            return db.session.query(QuestionnaireResponse).count()

    assert stored() == 0
    live_server.start()
    page.context.set_offline(False)
    wait_until(lambda: stored() == 1, what="the answers to reach the server")
    run_js(page, "() => AftercareOutbox.flush()")
    assert stored() == 1
    with live_server.app.app_context():
        response = db.session.scalar(select(QuestionnaireResponse))
        assert (response.instrument_id, response.total) == ("gad7", 7)
