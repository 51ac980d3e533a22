"""A new patient as the clinician adds one, on a 1366×900 laptop and a 390×844 phone: the page
it lands on says so and leads with the QR code, the link and its Copy button, all in the first
screen; then the next steps. The patient page offers a new QR code near its top."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from aftercare.extensions import db
from aftercare.models import Clinic
from tests.browser.conftest import WAIT_MS, LiveServer
from tests.browser.test_clinician import accessibility_violations, assert_no_violations, sign_in
from tests.conftest import PASSWORD, add_clinician

pytestmark = pytest.mark.browser

NURSE = "nurse@riverside.test"
LAPTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture(params=[LAPTOP, PHONE], ids=["laptop", "phone"])
def screen(
    request: pytest.FixtureRequest, browser: Browser, live_server: LiveServer
) -> Iterator[BrowserContext]:
    """The nurse's browser at each size, allowed to copy (Chromium asks for the permission)."""
    context = browser.new_context(base_url=live_server.url, **request.param)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    context.set_default_timeout(WAIT_MS)
    with live_server.app.app_context():
        clinic = Clinic(name="Riverside Ketamine Clinic", timezone="America/New_York")
        db.session.add(clinic)
        db.session.commit()
        add_clinician(db, clinic, NURSE)
    yield context
    context.close()


def fully_in_view(page: Page, locator: Locator) -> bool:
    """Whether the element is wholly inside the first screen, without scrolling."""
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not shown"
    viewport = page.viewport_size
    assert viewport is not None
    return (
        box["y"] >= 0
        and box["x"] >= 0
        and box["y"] + box["height"] <= viewport["height"]
        and box["x"] + box["width"] <= viewport["width"]
    )


def add_ivan(context: BrowserContext) -> Page:
    page = context.new_page()
    sign_in(page, NURSE, PASSWORD)
    page.wait_for_url("**/clinic/")
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("First name or clinic code").fill("Ivan R.")
    page.get_by_role("button", name="Create patient").click()
    page.wait_for_url(re.compile(r"/clinic/patients/\d+/added$"))
    return page


def test_a_new_patient_lands_on_the_qr_code_in_the_first_screen(screen: BrowserContext) -> None:
    page = add_ivan(screen)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Patient Ivan R. added")
    qr = page.locator(".enroll__qr svg")
    link = page.locator("#enrollment-url")
    copy = page.get_by_role("button", name="Copy the link")
    expect(copy).to_be_visible()  # shown by the script, where the browser can copy
    for what in (heading, qr, link, copy):
        assert fully_in_view(page, what), f"{what} is not in the first screen"
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")

    url = link.get_attribute("href")
    assert url is not None and "/enroll/" in url
    copy.click()
    expect(page.get_by_role("status")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == url

    # Then what comes next, and the way to the patient's page.
    steps = page.get_by_role("region", name="Next steps")
    expect(steps.get_by_role("link", name="Record the infusion")).to_be_visible()
    expect(steps.get_by_role("link", name="Plan appointments")).to_be_visible()
    assert_no_violations(accessibility_violations(page))

    steps.get_by_role("link", name="Open Ivan R.'s page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ivan R.")
    # The side-effect chart says what it plots, in words a person sees above and below it.
    chart = page.locator("figure.chart-figure").first
    expect(chart.locator("figcaption")).to_have_text("Worst side effect at each check-in")
    expect(chart.locator("figcaption")).to_be_visible()
    note = chart.locator("p")  # the SVG's own description says it too, to screen readers
    expect(note).to_contain_text("Each dot is the worst of the 8 graded side effects")
    expect(note).to_be_visible()
    assert_no_violations(accessibility_violations(page))


def test_the_patient_page_offers_a_new_qr_code_in_its_first_screen(
    screen: BrowserContext,
) -> None:
    page = add_ivan(screen)
    page.get_by_role("link", name="Open Ivan R.'s page").click()
    expect(page.locator("#enrollment-top")).to_contain_text("No phone linked yet.")
    top = page.locator("#enrollment-top")
    again = top.get_by_role("button", name="Show a new enrollment QR code")
    assert fully_in_view(page, again)
    again.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Link Ivan R.'s phone")
    assert fully_in_view(page, page.locator(".enroll__qr svg"))
    assert_no_violations(accessibility_violations(page))
