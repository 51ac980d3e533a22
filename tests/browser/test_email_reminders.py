"""A patient on a phone adds an email for reminders, then confirms it from the email."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from aftercare.reminders.sender import send_due_reminders
from aftercare.reminders.smtp import smtp_settings
from tests.browser.conftest import Demo, enroll
from tests.browser.test_clinician import accessibility_violations, assert_no_violations
from tests.mail_server import MailServer

pytestmark = pytest.mark.browser
BASE = "http://aftercare.test"


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture
def live_server_config(mail_server: MailServer) -> dict[str, Any]:
    # The public address is set once the server's port is known (see the test).
    return {"SMTP": smtp_settings({"AFTERCARE_SMTP_URL": mail_server.url}, BASE)}


def in_viewport(page: Page, text: str) -> bool:
    box = page.get_by_text(text).bounding_box()
    size = page.viewport_size
    return bool(box and size and box["y"] >= 0 and box["y"] + box["height"] <= size["height"])


def test_a_patient_adds_an_email_and_confirms_it_from_the_email(
    phone: Callable[..., BrowserContext], demo: Demo, mail_server: MailServer, live_server
) -> None:
    page = phone().new_page()
    enroll(page, demo.enrollment_url)
    page.get_by_role("link", name="Get reminders by email").tap()
    page.wait_for_url("**/reminders/email")
    expect(page.get_by_role("heading", name="Reminders by email")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    violations = accessibility_violations(page)

    page.get_by_label("Email address").fill("not an email")
    page.get_by_role("button", name="Save my email").tap()
    expect(page.get_by_text("Enter an email address like name@example.com.")).to_be_visible()
    violations += accessibility_violations(page)

    page.get_by_label("Email address").fill("alex@example.org")
    page.get_by_label("Send every reminder by email too").check()
    page.get_by_role("button", name="Save my email").tap()
    # The request only queued the email: the page says it will go, not that it went.
    queued = "Saved. We will send you an email in a moment. Open the link in it to confirm."
    expect(page.get_by_role("status").filter(has_text=queued)).to_be_visible()
    assert in_viewport(page, queued)
    violations += accessibility_violations(page)
    assert mail_server.messages() == []

    # The scheduler's pass sends it, with links from the public address (which email needs).
    live_server.app.config["BASE_URL"] = live_server.url
    with live_server.app.app_context():
        assert send_due_reminders().verifications == 1
    page.reload()
    sent = "We sent you an email. Open the link in it to confirm."
    expect(page.get_by_role("status").filter(has_text=sent)).to_be_visible()
    assert in_viewport(page, sent)

    [mail] = mail_server.wait_for(1)
    link = next(w for w in mail.text.split() if "/email/verify/" in w)
    assert link.startswith(live_server.url)
    confirm = phone().new_page()  # the mail app's browser: no linked phone
    confirm.goto(link)
    violations += accessibility_violations(confirm)
    confirm.get_by_role("button", name="Confirm").tap()
    expect(confirm.get_by_role("heading", name="Your email is confirmed")).to_be_visible()

    page.reload()
    expect(page.get_by_text("Your email is confirmed.")).to_be_visible()
    assert_no_violations(violations)
