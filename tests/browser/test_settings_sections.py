"""The clinic's settings in short sections, as an admin sees them on a laptop and on a phone,
and the audit trail in words."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pyotp
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from aftercare.clinic.settings_sections import SECTIONS, Section
from tests.browser.conftest import WAIT_MS, Demo, LiveServer
from tests.browser.test_clinician import (
    accessibility_violations,
    add_admin_with_two_factor,
    assert_no_violations,
    sign_in,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

FORM_SECTIONS = [s.slug for s in SECTIONS if isinstance(s, Section)]
# A section's form fits in about a screen and a half.
SCREENS = 1.5
LAPTOP = {"viewport": {"width": 1366, "height": 900}}


@pytest.fixture
def laptop(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A clinician's laptop, 1366 by 900."""
    context = browser.new_context(base_url=live_server.url, **LAPTOP)
    context.set_default_timeout(WAIT_MS)
    yield context
    context.close()


def signed_in_admin(context: BrowserContext, live_server: LiveServer, demo: Demo) -> Page:
    _, email, secret = add_admin_with_two_factor(live_server, demo.patient_id)
    page = context.new_page()
    sign_in(page, email, PASSWORD)
    page.wait_for_url("**/clinic/login/verify")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/clinic/")
    return page


def check_sections(page: Page) -> list[str]:
    """Each section: short, its preview in sight, nothing sideways, nothing axe finds."""
    height = page.viewport_size["height"]
    violations: list[str] = []
    for slug in FORM_SECTIONS:
        page.goto(f"/clinic/settings/{slug}")
        form = page.locator("form[data-preview]")
        box = form.bounding_box()
        assert box is not None
        assert box["height"] < SCREENS * height, (slug, box["height"])
        preview = page.locator("#preview")
        expect(preview.locator(".patient-preview[lang=en]")).to_be_visible()
        expect(preview.locator(".patient-preview[lang=es]")).to_have_count(1)
        assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth"), slug
        violations += accessibility_violations(page)
    return violations


def test_on_a_laptop_each_section_is_short_with_its_preview_beside_it(
    laptop: BrowserContext, live_server: LiveServer, demo: Demo
) -> None:
    page = signed_in_admin(laptop, live_server, demo)
    violations = check_sections(page)

    # The preview sits beside the form, in the first screen, and follows what is typed.
    page.goto("/clinic/settings/crisis")
    form = page.locator("form[data-preview]").bounding_box()
    preview = page.locator("#preview").bounding_box()
    assert preview["x"] >= form["x"] + form["width"]
    assert preview["y"] < page.viewport_size["height"] / 2
    page.get_by_label("Not monitored around the clock", exact=True).fill(
        "Nobody reads this app at night."
    )
    english = page.locator("#preview .patient-preview[lang=en]")
    expect(english).to_contain_text("Nobody reads this app at night.")
    expect(page.locator("#preview-state")).to_contain_text("not saved yet")
    page.get_by_label("Not monitored around the clock (Spanish)").fill("Nadie la lee de noche.")
    expect(page.locator("#preview .patient-preview[lang=es]")).to_contain_text(
        "Nadie la lee de noche."
    )
    violations += accessibility_violations(page)

    # Saved, then a mistake: shown at the box, what was typed kept.
    page.get_by_role("button", name="Save crisis help").click()
    expect(page.locator(".flash")).to_contain_text("Crisis help: saved")
    page.get_by_label("Emergency number").fill("call someone")
    page.get_by_role("button", name="Save crisis help").click()
    error = page.locator(".field", has=page.get_by_label("Emergency number")).locator(".error")
    expect(error).to_contain_text("Use digits")
    expect(page.get_by_label("Emergency number")).to_have_value("call someone")
    violations += accessibility_violations(page)
    assert_no_violations(violations)


def test_on_a_phone_each_section_is_short_and_nothing_scrolls_sideways(
    phone: Callable[[], BrowserContext], live_server: LiveServer, demo: Demo
) -> None:
    page = signed_in_admin(phone(), live_server, demo)
    violations = check_sections(page)

    # The preview comes right after the form and follows what is typed there too.
    page.goto("/clinic/settings/rules")
    page.get_by_label("Driving", exact=True).fill("Please do not drive until {until}.")
    preview = page.locator("#preview .patient-preview[lang=en]")
    # The example infusion ended 30 minutes ago: its rule ends tomorrow, or tonight just after
    # midnight.
    expect(preview).to_contain_text(re.compile(r"Please do not drive until (tomorrow|tonight) at"))
    preview.scroll_into_view_if_needed()
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    assert_no_violations(violations)


def test_the_audit_trail_reads_as_sentences(
    laptop: BrowserContext, live_server: LiveServer, demo: Demo
) -> None:
    page = signed_in_admin(laptop, live_server, demo)
    page.goto(f"/clinic/patients/{demo.patient_id}")
    page.goto("/clinic/admin/audit")

    rows = page.locator("table.audit tbody tr")
    expect(rows.filter(has_text=f"opened {demo.patient_name}'s page")).to_have_count(1)
    expect(page.locator("th.audit__day").first).to_have_text("Today")
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    assert_no_violations(accessibility_violations(page))
