"""A server error as a patient sees it on their phone: plain words, the crisis bar, and a
reference they can read out to the clinic, on screen without scrolling, in their language.

Served by `aftercare run` (waitress), as a clinic runs it; the error is real: the clinic's time
zone in the database is one the app cannot use.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from aftercare.models import Clinic
from tests.browser.conftest import PHONE, WAIT_MS
from tests.browser.test_clinician import accessibility_violations, assert_no_violations
from tests.conftest import enrollment_token

pytestmark = pytest.mark.browser


def linked_phone_page(browser: Browser, waitress, token: str, locale: str) -> Page:  # noqa: ANN001
    context = browser.new_context(base_url=waitress.url, locale=locale, **PHONE)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(f"/enroll/{token}")
    page.locator("form[action^='/enroll/'] button[type=submit]").tap()
    page.wait_for_url("**/today")
    return page


def in_view(page: Page, text: str) -> bool:
    box = page.get_by_text(text).bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    return box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]


@pytest.mark.parametrize(
    ("locale", "reference_words", "crisis_words"),
    [
        # The crisis bar's 988 button, one tap, on screen.
        ("en-US", "Error reference", "Call 988"),
        ("es-US", "Referencia del error", "Llamar al 988"),
    ],
)
def test_a_server_error_shows_its_reference_on_screen_with_the_crisis_bar(
    browser, waitress, db, clinic, patient, locale, reference_words, crisis_words
):
    page = linked_phone_page(browser, waitress, enrollment_token(db, patient), locale)
    db.session.execute(update(Clinic).where(Clinic.id == clinic.id).values(timezone="Nowhere/X"))
    db.session.commit()

    response = page.goto("/today")
    assert response is not None and response.status == 500
    reference = response.headers["x-request-id"]
    shown = f"{reference_words}: {reference}"
    expect(page.get_by_text(shown)).to_be_visible()
    assert in_view(page, shown), "the reference is below the fold on a phone"
    expect(page.get_by_text(re.compile(crisis_words)).first).to_be_visible()
    # A phone's page widens to what it holds, innerWidth with it: compare with the screen.
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["viewport"]["width"]
    assert_no_violations(accessibility_violations(page))
    page.context.close()
