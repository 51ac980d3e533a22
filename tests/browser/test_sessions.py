"""A clinician's sessions page at the clinic's desk (1366×900): where they are signed in, and
signing out a browser they left signed in elsewhere."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import WAIT_MS, Demo, LiveServer
from tests.browser.test_clinician import accessibility_violations, assert_no_violations, sign_in

pytestmark = pytest.mark.browser

CLINIC_DESK = {"viewport": {"width": 1366, "height": 900}}
PHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def in_viewport(page: Page, selector_box: dict[str, float] | None) -> bool:
    viewport = page.viewport_size
    assert selector_box is not None and viewport is not None
    return (
        selector_box["x"] >= 0
        and selector_box["y"] >= 0
        and selector_box["x"] + selector_box["width"] <= viewport["width"]
        and selector_box["y"] + selector_box["height"] <= viewport["height"]
    )


def context(browser: Browser, live_server: LiveServer, **options: object) -> BrowserContext:
    made = browser.new_context(base_url=live_server.url, **options)  # type: ignore[arg-type]
    made.set_default_timeout(WAIT_MS)
    return made


def test_a_clinician_sees_their_sessions_and_signs_out_another_browser(
    browser: Browser, live_server: LiveServer, demo: Demo
) -> None:
    desk = context(browser, live_server, **CLINIC_DESK)
    left_signed_in = context(browser, live_server, user_agent=PHONE_SAFARI)
    try:
        phone = left_signed_in.new_page()
        sign_in(phone, demo.clinician_email, demo.clinician_password)
        phone.wait_for_url("**/clinic/")

        page = desk.new_page()
        sign_in(page, demo.clinician_email, demo.clinician_password)
        page.wait_for_url("**/clinic/")
        page.get_by_role("link", name="Sessions").click()
        page.wait_for_url("**/clinic/security/sessions")

        rows = page.get_by_role("table", name="Your sessions").locator("tbody tr")
        expect(rows).to_have_count(2)
        this_one = rows.filter(has_text="(this browser)")
        expect(this_one).to_contain_text("Now")
        other = rows.filter(has_text="Safari on iPhone")
        expect(other).to_be_visible()
        sign_out = other.get_by_role("button", name="Sign out Safari on iPhone")
        expect(sign_out).to_be_visible()
        assert in_viewport(page, sign_out.bounding_box()), "the button is off screen"
        assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
        assert_no_violations(accessibility_violations(page))

        sign_out.click()
        expect(page.get_by_role("status")).to_contain_text("Signed out: Safari on iPhone.")
        expect(rows).to_have_count(1)
        expect(page.get_by_role("button", name="Sign out everywhere else")).to_have_count(0)

        # The phone's next page is the sign-in page, and it says why.
        phone.reload()
        phone.wait_for_url("**/clinic/login")
        expect(phone.get_by_role("status")).to_contain_text("Your session has ended")
        expect(phone.get_by_role("heading", name="Clinic sign-in")).to_be_visible()
        # The desk goes on.
        page.goto("/clinic/")
        expect(page.get_by_role("navigation", name="Clinic")).to_be_visible()
    finally:
        desk.close()
        left_signed_in.close()
