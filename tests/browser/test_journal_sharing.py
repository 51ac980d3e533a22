"""Sharing one journal entry, on a phone (390x844) and at the clinic (1366x900): written and
shared with no signal, sent when the signal returns, read by the clinician, taken back, gone
from the clinician's page. A private entry beside it is in no request the phone sends, and
nowhere in the database, the server's log or the clinic's exports."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, expect
from sqlalchemy import func, select

from aftercare.extensions import db
from aftercare.models import Patient, SharedJournalEntry
from tests.browser.conftest import WAIT_MS, Demo, LiveServer, wait_until
from tests.browser.test_clinician import accessibility_violations, assert_no_violations
from tests.browser.test_journal import rows_containing, what_was_sent, write_entry
from tests.browser.test_patient_journey import go_offline, run_js, wait_for_pages_kept

pytestmark = pytest.mark.browser

# Words no page, script or fixture contains: found anywhere, they came from these entries.
SHARED = "copper kettle on the sill 5186"
SHARED_ANSWER = "a heron standing still 3307"
PRIVATE = "midnight tram to the quarry 6624"
PRIVATE_ANSWER = "salt on the window 8845"


@pytest.fixture
def clinic_desk(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """The clinician's screen at the clinic."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(WAIT_MS)
    yield context
    context.close()


def shared_count(live_server: LiveServer, patient_id: int) -> int:
    with live_server.app.app_context():
        return db.session.scalar(
            select(func.count(SharedJournalEntry.id)).where(
                SharedJournalEntry.patient_id == patient_id
            )
        )


def open_journal(page: Page) -> None:
    """Today, then the journal through the service worker, which keeps it for offline use."""
    assert run_js(page, "() => navigator.serviceWorker.ready.then((reg) => !!reg.active)")
    page.goto("/today")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.goto("/journal")
    wait_for_pages_kept(page, ["/journal"])


def sign_in(page: Page, demo: Demo) -> None:
    page.goto("/clinic/login")
    page.locator("input[name=email]").fill(demo.clinician_email)
    page.locator("input[name=password]").fill(demo.clinician_password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/clinic/")


def shared_section(page: Page):  # noqa: ANN201
    return page.get_by_role("region", name="Shared journal entries")


def tap_with_yes(page: Page, button) -> None:  # noqa: ANN001
    page.once("dialog", lambda dialog: dialog.accept())
    button.tap()


def test_an_entry_shared_offline_reaches_the_clinician_and_is_taken_back(
    enrolled: Page, live_server: LiveServer, demo: Demo, clinic_desk: BrowserContext
) -> None:
    page = enrolled
    open_journal(page)
    expect(
        page.get_by_text("Your care team does not read shared entries around the clock.")
    ).to_be_visible()

    go_offline(page, live_server)
    page.reload()
    write_entry(page, "4", SHARED_ANSWER, SHARED)
    entry = page.locator(".journal__entry").first
    tap_with_yes(
        page, entry.get_by_role("button", name=re.compile("^Share with my care team: the entry of"))
    )
    sharing = page.locator(".journal__sharing")
    expect(sharing).to_have_text("Saved on this phone. It will be sent when you are back online.")
    expect(entry).to_contain_text("Waiting for a signal to be shared with your care team.")
    page.reload()  # what the phone keeps says the same after a reload
    expect(entry).to_contain_text("Waiting for a signal to be shared with your care team.")

    live_server.start()
    page.context.set_offline(False)  # the page's "online" event sends what is waiting
    wait_until(lambda: shared_count(live_server, demo.patient_id) == 1, what="the entry to arrive")
    page.reload()
    expect(entry).to_contain_text("Shared with your care team.")
    expect(
        entry.get_by_role("button", name=re.compile("^Stop sharing: the entry of"))
    ).to_be_visible()
    assert page.evaluate("() => document.scrollingElement.scrollWidth <= window.innerWidth")
    assert_no_violations(accessibility_violations(page))

    desk = clinic_desk.new_page()
    sign_in(desk, demo)
    desk.goto(f"/clinic/patients/{demo.patient_id}")
    section = shared_section(desk)
    expect(section).to_contain_text(SHARED)
    expect(section).to_contain_text(SHARED_ANSWER)
    expect(section).to_contain_text("Mood: 4 out of 10")
    assert_no_violations(accessibility_violations(desk))

    # Taken back, with the signal on: sent at once, and the page says so.
    entry.get_by_role("button", name=re.compile("^Stop sharing: the entry of")).tap()
    page.wait_for_url("**/journal?unshared=1")
    expect(page.locator(".journal__sharing")).to_have_text(
        "No longer shared. Your care team cannot see it now."
    )
    expect(entry).not_to_contain_text("Shared with your care team.")
    expect(entry).to_contain_text(SHARED)  # still on the phone
    assert shared_count(live_server, demo.patient_id) == 0

    desk.reload()
    expect(shared_section(desk)).to_contain_text("No shared entries.")
    expect(desk.get_by_text(SHARED)).to_have_count(0)


def test_a_private_entry_is_in_no_request_and_nowhere_on_the_server(
    enrolled: Page,
    live_server: LiveServer,
    demo: Demo,
    clinic_desk: BrowserContext,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    page = enrolled
    sent: list[Request] = []
    # Every request of the phone: its pages' and its service worker's alike.
    page.context.on("request", lambda request: sent.append(request))
    open_journal(page)

    write_entry(page, "2", PRIVATE_ANSWER, PRIVATE)
    write_entry(page, "6", SHARED_ANSWER, SHARED)
    shared_entry = page.locator(".journal__entry").first
    expect(shared_entry).to_contain_text(SHARED)
    tap_with_yes(
        page,
        shared_entry.get_by_role(
            "button", name=re.compile("^Share with my care team: the entry of")
        ),
    )
    page.wait_for_url("**/journal?shared=1")
    expect(page.locator(".journal__sharing")).to_have_text("Shared with your care team.")
    assert shared_count(live_server, demo.patient_id) == 1
    for path in ("/today", "/learn", "/check-in", "/journal"):
        page.goto(path)
    expect(page.locator(".journal__entry")).to_have_count(2)

    # The recorder sees what a share sends: so it would see a private entry too.
    assert any(SHARED in what_was_sent(r) for r in sent), "the share was not recorded"
    leaks = [
        r.url for r in sent if PRIVATE in what_was_sent(r) or PRIVATE_ANSWER in what_was_sent(r)
    ]
    assert leaks == []

    desk = clinic_desk.new_page()
    sign_in(desk, demo)
    desk.goto(f"/clinic/patients/{demo.patient_id}")
    expect(shared_section(desk)).to_contain_text(SHARED)
    exports = {
        path: desk.request.get(path)
        for path in (
            "/clinic/export/journal-entries.csv",
            "/clinic/export/check-ins.csv",
            f"/clinic/patients/{demo.patient_id}/journal-entries.csv",
        )
    }
    texts = {path: response.text() for path, response in exports.items()}
    assert all(response.status == 200 for response in exports.values())
    assert SHARED in texts["/clinic/export/journal-entries.csv"]
    assert [path for path, text in texts.items() if PRIVATE in text or PRIVATE_ANSWER in text] == []

    assert rows_containing(live_server, [PRIVATE, PRIVATE_ANSWER]) == []
    assert rows_containing(live_server, [SHARED]) != []  # the search reads the shared one
    # The server's output: its log records (requests, the app's events) and anything written.
    log = caplog.text + "".join(capfd.readouterr())
    assert "/journal/shared" in log  # the server's log of the requests is here
    assert PRIVATE not in log and PRIVATE_ANSWER not in log


def test_the_clinics_own_questions_open_offline_in_spanish(
    phone, demo: Demo, live_server: LiveServer
) -> None:  # noqa: ANN001
    with live_server.app.app_context():
        patient = db.session.get(Patient, demo.patient_id)
        patient.clinic.journal_prompts = {
            "en": ["What helped you this week?"],
            "es": ["¿Qué le ayudó esta semana?"],
        }
        db.session.commit()
    page = phone(locale="es-US").new_page()
    page.goto(demo.enrollment_url)
    page.get_by_role("button", name="Conectar este teléfono").tap()
    page.wait_for_url("**/today")
    open_journal(page)
    go_offline(page, live_server)
    page.reload()
    question = page.get_by_label(re.compile("¿Qué le ayudó esta semana?"))
    expect(question).to_be_visible()
    expect(page.get_by_text("What helped you this week?")).to_have_count(0)
    expect(page.get_by_text("¿Qué le llamó la atención durante la sesión?")).to_have_count(0)
    assert_no_violations(accessibility_violations(page))
