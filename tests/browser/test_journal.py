"""The journal on a phone (390x844): a private entry is written offline, kept, saved to a file
and deleted on the phone, and its words are in no request the browser sends and nowhere in the
database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, expect
from sqlalchemy import MetaData, select

from aftercare.extensions import db
from tests.browser.conftest import LiveServer
from tests.browser.test_clinician import accessibility_violations, assert_no_violations
from tests.browser.test_patient_journey import go_offline, run_js, wait_for_pages_kept

pytestmark = pytest.mark.browser

# Words no page, script or fixture contains: found anywhere, they came from the journal.
FIRST = "lanterns over the harbor 7731"
SECOND = "quiet orchard at dawn 4420"
ANSWER = "the violet ceiling 9182"


def what_was_sent(request: Request) -> str:
    """Everything a request carries that could hold an entry's words."""
    body = request.post_data_buffer or b""
    return " ".join([request.url, str(request.all_headers()), body.decode("utf-8", "replace")])


def rows_containing(live_server: LiveServer, words: list[str]) -> list[str]:
    """Every row of every table, read back, that holds any of the words."""
    found = []
    with live_server.app.app_context():
        tables = MetaData()
        tables.reflect(bind=db.engine)
        for table in tables.sorted_tables:
            for row in db.session.execute(select(table)):
                text = repr(tuple(row))
                found += [f"{table.name}: {w}" for w in words if w in text]
    return found


def write_entry(page: Page, mood: str, answer: str | None, text: str) -> None:
    scale = page.get_by_role("group", name=re.compile("How is your mood right now"))
    scale.get_by_label(mood, exact=True).check()
    if answer:
        page.get_by_label(re.compile("What stood out during the session")).fill(answer)
    page.get_by_label("Anything else you want to write").fill(text)
    page.get_by_role("button", name="Save on this phone").tap()
    expect(page.get_by_role("status")).to_have_text("Saved on this phone.")


def test_a_private_entry_never_leaves_the_phone(enrolled: Page, live_server: LiveServer) -> None:
    page = enrolled
    sent: list[Request] = []
    # Every request of the phone: its pages' and its service worker's alike.
    page.context.on("request", lambda request: sent.append(request))

    assert run_js(page, "() => navigator.serviceWorker.ready.then((reg) => !!reg.active)")
    page.goto("/today")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.get_by_role("link", name="Your journal, kept on this phone").tap()
    page.wait_for_url("**/journal")
    expect(page.get_by_text("It is not sent to your care team or to anyone else.")).to_be_visible()
    write_entry(page, "7", ANSWER, FIRST)
    wait_for_pages_kept(page, ["/journal"])

    # No signal: the journal opens, and an entry is written and kept as before.
    go_offline(page, live_server)
    page.reload()
    entries = page.locator(".journal__entry")
    expect(entries).to_have_count(1)
    write_entry(page, "3", None, SECOND)
    expect(entries).to_have_count(2)
    expect(entries.first).to_contain_text(SECOND)  # newest first
    expect(entries.first).to_contain_text("Mood: 3 out of 10")
    expect(entries.nth(1)).to_contain_text(ANSWER)

    with page.expect_download() as download:
        page.get_by_role("button", name="Save my journal to a file").tap()
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename.endswith(".txt")
    assert saved.index(FIRST) < saved.index(SECOND)  # oldest first, as a diary reads
    assert "Mood: 7 out of 10" in saved and ANSWER in saved

    page.once("dialog", lambda dialog: dialog.accept())
    entries.nth(1).get_by_role("button", name=re.compile("^Delete the entry of")).tap()
    expect(page.get_by_role("status")).to_have_text("Entry deleted.")
    expect(entries).to_have_count(1)
    page.reload()
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text(SECOND)
    assert page.evaluate("() => document.scrollingElement.scrollWidth <= window.innerWidth")
    assert_no_violations(accessibility_violations(page))

    words = [FIRST, SECOND, ANSWER]
    assert sent, "no request was recorded"
    leaks = [r.url for r in sent if any(w in what_was_sent(r) for w in words)]
    assert leaks == []
    assert rows_containing(live_server, words) == []
