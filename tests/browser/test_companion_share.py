"""The patient shares the companion link from their phone: the share sheet, Copy, or a QR code;
and the companion's page reads as written to them."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.conftest import Demo, enroll
from tests.browser.test_clinician import accessibility_violations, assert_no_violations

pytestmark = pytest.mark.browser

# Headless Chromium has no share sheet: this stands in for the phone's, and only notes what it
# was asked to share, as the real one would be handed it.
RECORD_SHARES = """
    window.sharedWithTheShareSheet = [];
    Object.defineProperty(Navigator.prototype, "share", {
        configurable: true,
        value(data) {
            window.sharedWithTheShareSheet.push(JSON.parse(JSON.stringify(data)));
            return Promise.resolve();
        },
    });
"""


def make_link(page: Page) -> str:
    """Tap the button on /companion, as the patient does; returns the new link."""
    page.goto("/companion")
    page.get_by_role("button", name=re.compile("Make a link to share|Crear un enlace")).tap()
    link = page.locator("#companion-link")
    expect(link).to_be_visible()
    href = link.get_attribute("href") or ""
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/c/[\w-]{20,}", href), href
    return href


def in_viewport(page: Page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    return box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]


def test_the_patient_shares_the_link_with_the_phones_share_sheet(
    phone: Callable[..., BrowserContext], demo: Demo
) -> None:
    context = phone()
    context.add_init_script(RECORD_SHARES)
    page = context.new_page()
    enroll(page, demo.enrollment_url)
    link = make_link(page)

    share = page.get_by_role("button", name="Share the link")
    expect(share).to_be_visible()
    assert in_viewport(page, "#share-link"), "the Share button is on the first screen"
    share.tap()

    page.wait_for_function("() => window.sharedWithTheShareSheet.length === 1")
    (shared,) = page.evaluate("() => window.sharedWithTheShareSheet")
    assert shared["url"] == link
    assert shared["text"].startswith("What to watch for after my infusion")
    assert demo.patient_name not in shared["text"]


def test_without_a_share_sheet_the_share_button_stays_hidden(enrolled: Page) -> None:
    page = enrolled
    assert page.evaluate("() => 'share' in navigator") is False  # as on a desktop browser
    make_link(page)

    expect(page.get_by_role("button", name="Copy the link")).to_be_visible()
    expect(page.locator("#share-link")).to_be_hidden()


def test_the_patient_copies_the_link_and_is_told_it_was_copied(
    phone: Callable[..., BrowserContext], demo: Demo
) -> None:
    context = phone(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    enroll(page, demo.enrollment_url)
    link = make_link(page)

    page.get_by_role("button", name="Copy the link").tap()

    status = page.get_by_role("status").filter(has_text="Link copied")
    expect(status).to_have_text("Link copied. Paste it into a message.")
    assert in_viewport(page, "#share-status"), "the confirmation shows where the patient looks"
    assert page.evaluate("() => navigator.clipboard.readText()") == link
    assert_no_violations(accessibility_violations(page))


def test_the_link_shows_as_a_qr_code_that_a_camera_reads(enrolled: Page, tmp_path: Path) -> None:
    page = enrolled
    link = make_link(page)
    code = page.locator(".share__qr svg")
    expect(code).to_be_hidden()  # one tap away, so it does not push the buttons down

    page.get_by_text("Show a QR code").tap()

    expect(code).to_be_visible()
    expect(code.locator("title")).to_have_text("QR code of the link")
    box = code.bounding_box()
    assert box is not None and box["width"] >= 200, "large enough to scan from the screen"
    shot = Image.open(io.BytesIO(code.screenshot()))
    assert [result.text for result in zxingcpp.read_barcodes(shot)] == [link]
    assert_no_violations(accessibility_violations(page))


def test_the_share_buttons_speak_spanish(phone: Callable[..., BrowserContext], demo: Demo) -> None:
    context = phone(locale="es-US", permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(demo.enrollment_url)
    page.get_by_role("button", name="Conectar este teléfono").tap()
    page.wait_for_url("**/today")
    make_link(page)

    page.get_by_role("button", name="Copiar el enlace").tap()

    expect(page.get_by_role("status").filter(has_text="Enlace copiado")).to_be_visible()
    expect(page.get_by_text("Mostrar un código QR")).to_be_visible()


def test_the_companions_page_speaks_to_them_about_the_patient(
    enrolled: Page, phone: Callable[..., BrowserContext]
) -> None:
    link = make_link(enrolled)
    page = phone().new_page()
    page.goto(link)

    clinic = page.locator("section", has=page.get_by_role("heading", name="Call the clinic"))
    expect(clinic.get_by_role("heading")).to_have_text("Call the clinic about any of these")
    expect(clinic.get_by_role("listitem").nth(3)).to_have_text(
        "Their mood is lower than before the infusion."
    )
    timed = page.locator("section", has=page.get_by_role("heading", name="Until the medicine"))
    expect(timed.get_by_role("listitem").first).to_contain_text("They should not drive")
    for text in page.locator("main li, main h2").all_inner_texts():
        assert not re.search(r"\b(you|your)\b", text, re.I), text
    assert_no_violations(accessibility_violations(page))
