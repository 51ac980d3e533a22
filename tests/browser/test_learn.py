"""Learn on a phone (390x844): every article read offline after one visit to Learn, and the
article that fits the moment one tap from Today."""

from __future__ import annotations

from collections.abc import Callable

import pyotp
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from aftercare.care.learn import built_in
from aftercare.extensions import db
from aftercare.models import Clinic
from tests.browser.conftest import Demo, LiveServer, enroll
from tests.browser.test_clinician import (
    accessibility_violations,
    add_admin_with_two_factor,
    assert_no_violations,
    sign_in,
)
from tests.browser.test_patient_journey import (
    expect_crisis_bar,
    go_offline,
    run_js,
    wait_for_pages_kept,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = "() => document.scrollingElement.scrollWidth <= window.innerWidth"


def test_one_visit_to_learn_is_enough_to_read_every_article_offline(
    enrolled: Page, live_server: LiveServer
) -> None:
    page = enrolled  # linked, and on /today
    assert run_js(page, "() => navigator.serviceWorker.ready.then((reg) => !!reg.active)")
    page.goto("/today")  # a page the worker answers (the first one may stay uncontrolled)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    # Learn from Today's link, once, online: the worker keeps it and every article it lists.
    page.get_by_role("link", name="All articles about your treatment").tap()
    page.wait_for_url("**/learn")
    wait_for_pages_kept(page, ["/learn", *(f"/learn/{slug}" for slug in built_in())])

    go_offline(page, live_server)
    page.goto("/today")
    # The demo patient's infusion ended an hour ago: Today points to what to expect tomorrow.
    moment = page.get_by_role("link", name="What to expect after a session and the next day")
    moment.scroll_into_view_if_needed()
    moment.tap()
    page.wait_for_url("**/learn/after-a-session")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "What to expect after a session and the next day"
    )
    expect(page.get_by_role("heading", name="The next day", exact=True)).to_be_visible()
    expect_crisis_bar(page)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)

    page.get_by_role("link", name="All articles").tap()
    page.wait_for_url("**/learn")
    page.get_by_role("link", name="Is ketamine addictive?").tap()
    page.wait_for_url("**/learn/addiction")
    expect(page.locator("article")).to_contain_text("The risk is low when ketamine is given")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)


def test_an_article_the_clinic_hides_is_removed_from_the_phone(
    enrolled: Page, live_server: LiveServer
) -> None:
    page = enrolled
    assert run_js(page, "() => navigator.serviceWorker.ready.then((reg) => !!reg.active)")
    page.goto("/today")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.goto("/learn")
    wait_for_pages_kept(page, ["/learn", "/learn/insurance"])
    with live_server.app.app_context():
        for clinic in db.session.query(Clinic).all():
            clinic.content = {**(clinic.content or {}), "learn": {"insurance": {"hidden": True}}}
        db.session.commit()
    page.goto("/learn")  # Learn opened online: an article it no longer lists leaves the phone
    removed = """async () => {
        const cache = await caches.open("pages-v1");
        return !(await cache.match("/learn/insurance")) && !!(await cache.match("/learn"));
    }"""
    for _ in range(50):
        if run_js(page, removed):
            break
        page.wait_for_timeout(100)
    assert run_js(page, removed)
    assert page.get_by_role("link", name="Questions to ask about insurance").count() == 0


def test_learn_has_no_accessibility_violations_in_english_or_spanish(
    phone: Callable[[], BrowserContext], demo: Demo
) -> None:
    page = phone().new_page()
    enroll(page, demo.enrollment_url)
    violations: list[str] = []
    for path in ("/learn", "/learn/how-it-works", "/learn/side-effects"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        violations += accessibility_violations(page)
    page.get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    for path in ("/learn", "/learn/how-it-works"):
        page.goto(path)
        violations += accessibility_violations(page)
    assert_no_violations(violations)


def test_an_admin_edits_an_article_with_a_preview_and_the_phone_reads_it(
    desktop: BrowserContext,
    phone: Callable[[], BrowserContext],
    live_server: LiveServer,
    demo: Demo,
) -> None:
    _, email, secret = add_admin_with_two_factor(live_server, demo.patient_id)
    page = desktop.new_page()  # 1366x900
    sign_in(page, email, PASSWORD)
    page.wait_for_url("**/clinic/login/verify")
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/clinic/")
    violations: list[str] = []

    page.get_by_role("navigation", name="Clinic").get_by_role("link", name="Learn").click()
    page.wait_for_url("**/clinic/learn")
    violations += accessibility_violations(page)
    page.get_by_role("link", name="Is ketamine addictive?").click()
    body = page.get_by_label("Article (English)")
    body.fill("## Our promise\n\nWe watch you **the whole time**. <script>alert(1)</script>")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("article", name="English preview")
    expect(preview.get_by_role("heading", name="Our promise")).to_be_visible()
    expect(preview).to_contain_text("<script>alert(1)</script>")  # shown as text
    assert preview.locator("script").count() == 0
    violations += accessibility_violations(page)

    page.get_by_role("button", name="Save article").click()
    expect(page.get_by_text("Article saved.")).to_be_visible()
    expect(page.get_by_text("the Spanish was removed")).to_be_visible()
    violations += accessibility_violations(page)
    assert_no_violations(violations)

    patient = phone().new_page()
    enroll(patient, demo.enrollment_url)
    patient.goto("/learn/addiction")
    expect(patient.get_by_role("heading", name="Our promise")).to_be_visible()
    expect(patient.locator("article strong")).to_have_text("the whole time")
