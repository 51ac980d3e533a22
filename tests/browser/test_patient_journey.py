"""A patient's phone after an infusion: linking it, using it offline, and red flags."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlparse

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import func, select

from aftercare.extensions import db
from aftercare.models import CheckIn, Clinic, Patient
from aftercare.patient.checkins import CheckInData, save_check_in
from tests.browser.conftest import WAIT_MS, Demo, LiveServer, wait_until
from tests.conftest import add_patient

pytestmark = pytest.mark.browser

# How the timed instructions name a moment: "tomorrow at 3:40 PM", "tonight at 11 PM" (the
# demo's infusion ended an hour ago; CLDR may put a narrow space before PM, which \s matches).
HUMAN_TIME = re.compile(r"(today|tonight|tomorrow) at \d{1,2}(:\d{2})?\s?[AP]M")
COUNTDOWN = re.compile(r"^\d+ hours?( \d+ minutes?)? left$")

OUTBOX_STATUSES = "() => AftercareOutbox.all().then((items) => items.map((item) => item.status))"
# The phone lost the server's answer to its first try: it sends the same check-in again.
RESEND_EVERYTHING = """async () => {
    for (const item of await AftercareOutbox.all()) {
        item.status = "waiting";
        await AftercareOutbox.put(item);
    }
    return AftercareOutbox.flush();
}"""
# A phone whose storage cannot be used: private browsing, a full disk, a browser that refuses
# IndexedDB. Either opening it throws at once, or the request fails a moment later.
INDEXEDDB_FAILS = {
    "throws": """IDBFactory.prototype.open = function () {
        throw new DOMException("The storage is not available.", "UnknownError");
    };""",
    "fails": """IDBFactory.prototype.open = function () {
        const request = {error: new DOMException("The storage is not available.", "UnknownError")};
        setTimeout(() => request.onerror && request.onerror({target: request}), 0);
        return request;
    };""",
}
PAGES_KEPT = """async (paths) => {
    const cache = await caches.open("pages-v1");
    const kept = await Promise.all(paths.map((path) => cache.match(path)));
    return kept.every(Boolean);
}"""


def check_ins_of(live_server: LiveServer, patient_id: int) -> list[CheckIn]:
    with live_server.app.app_context():
        check_ins = db.session.scalars(
            select(CheckIn).where(CheckIn.patient_id == patient_id).order_by(CheckIn.id)
        ).all()
        db.session.expunge_all()
        return list(check_ins)


def count_check_ins(live_server: LiveServer, patient_id: int) -> int:
    with live_server.app.app_context():
        return db.session.scalar(
            select(func.count(CheckIn.id)).where(CheckIn.patient_id == patient_id)
        )


def run_js(page: Page, function: str, arg: object = None) -> object:
    """page.evaluate with a deadline: a promise that never settles fails the test instead."""
    bounded = f"""async (arg) => Promise.race([
        ({function})(arg),
        new Promise((_, reject) => setTimeout(() => reject(new Error("timed out")), {WAIT_MS})),
    ])"""
    return page.evaluate(bounded, arg)


def make_available_offline(page: Page) -> None:
    """Wait for the service worker, then open Today and the form once online so it keeps them."""
    assert run_js(page, "() => navigator.serviceWorker.ready.then((reg) => !!reg.active)")
    # The page that registered the worker may stay uncontrolled (a claim() can miss a page
    # that was still loading); pages opened from now on go through the worker.
    for path in ("/today", "/check-in"):
        page.goto(path)
    # A function, not an expression: the page's CSP forbids eval, which Playwright would use.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    # The worker stores its copy after answering the page: wait until both copies are there.
    wait_for_pages_kept(page, ["/today", "/check-in"])


def wait_for_pages_kept(page: Page, paths: list[str]) -> None:
    """Poll until the worker has stored every page (wait_for_function won't await a promise)."""
    for _ in range(WAIT_MS // 100):
        if run_js(page, PAGES_KEPT, paths):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the service worker did not keep {paths}")


def go_offline(page: Page, live_server: LiveServer) -> None:
    """Airplane mode: the server is really gone, and the phone knows it is offline."""
    live_server.stop()
    page.context.set_offline(True)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", live_server.port), timeout=2).close()


def crisis_bar(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Get help now")


def expect_crisis_bar(page: Page) -> None:
    """988 (call, text) and 911 one tap each; the clinic's numbers and the rest one tap away."""
    bar = crisis_bar(page)
    for href in ("tel:988", "sms:988", "tel:911"):
        expect(bar.locator(f'a[href="{href}"]')).to_be_visible()
    expect(bar.get_by_text("not watched around the clock")).to_be_hidden()
    bar.locator("summary").tap()
    expect(bar.locator('a[href="tel:5550100"]')).to_be_visible()
    expect(bar.get_by_text("not watched around the clock")).to_be_visible()
    bar.locator("summary").tap()


def test_a_patient_links_their_phone_and_sees_when_each_instruction_ends(
    phone: Callable[[], BrowserContext], demo: Demo
) -> None:
    page = phone().new_page()
    token = demo.enrollment_url.rsplit("/", 1)[1]

    page.goto(demo.enrollment_url)
    expect(page.get_by_role("heading", name="Link this phone")).to_be_visible()
    page.get_by_role("button", name="Link this phone").tap()

    page.wait_for_url("**/today")
    assert urlparse(page.url).path == "/today"
    assert token not in page.url
    driving = page.locator('.timed__item[data-key="driving"]')
    expect(driving.locator(".timed__text")).to_contain_text("Do not drive")
    expect(driving.locator(".timed__text")).to_have_text(HUMAN_TIME)
    expect(driving.locator(".countdown")).to_have_text(COUNTDOWN)
    expect_crisis_bar(page)
    # One tap away: the crisis line is on screen without scrolling, at a phone's size.
    expect(crisis_bar(page).locator('a[href="tel:988"]')).to_be_in_viewport()


def test_today_and_the_check_in_form_open_with_no_connection(
    enrolled: Page, live_server: LiveServer
) -> None:
    page = enrolled
    make_available_offline(page)
    page.goto("/today")

    go_offline(page, live_server)
    page.reload()

    expect(page.locator('.timed__item[data-key="driving"]')).to_contain_text("Do not drive")
    expect_crisis_bar(page)
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Check in").tap()
    page.wait_for_url("**/check-in")
    expect(page.get_by_role("heading", name="How are you feeling?")).to_be_visible()
    expect(page.locator("#check-in-form")).to_be_visible()
    expect(page.get_by_role("button", name="Send check-in")).to_be_enabled()


def test_a_check_in_made_offline_waits_on_the_phone_then_arrives_exactly_once(
    enrolled: Page, live_server: LiveServer, demo: Demo
) -> None:
    page = enrolled
    make_available_offline(page)
    go_offline(page, live_server)
    page.goto("/check-in")

    page.get_by_role("group", name="Headache").get_by_label("A little").check()
    page.get_by_label("None of these").check()  # the other questions: "No"
    page.get_by_role("button", name="Send check-in").tap()

    queued = page.locator("#queued-result")
    expect(queued).to_be_visible()
    expect(queued).to_contain_text("Saved on this phone")
    expect(queued.get_by_role("heading", name="Rest. This is expected.")).to_be_visible()
    expect(page.locator("#check-in-form")).to_be_hidden()
    assert run_js(page, OUTBOX_STATUSES) == ["waiting"]
    assert count_check_ins(live_server, demo.patient_id) == 0

    live_server.start()
    page.context.set_offline(False)  # the page's "online" event sends what is waiting

    wait_until(
        lambda: count_check_ins(live_server, demo.patient_id) > 0,
        what="the check-in to reach the server",
    )
    [stored] = check_ins_of(live_server, demo.patient_id)
    assert stored.severities["headache"] == 1
    assert stored.triage_level == "expected"
    page.goto("/today")
    sent = page.locator("#outbox-status .outbox__item--sent")
    expect(sent).to_have_count(1)
    expect(sent).to_contain_text("Sent")

    page.reload()
    page.reload()
    expect(sent).to_have_count(1)
    assert run_js(page, RESEND_EVERYTHING) == {"sent": 1, "waiting": 0}
    assert count_check_ins(live_server, demo.patient_id) == 1


def test_thoughts_of_self_harm_show_988_at_once_and_raise_a_crisis_alert(
    enrolled: Page, desktop: BrowserContext, live_server: LiveServer, demo: Demo
) -> None:
    page = enrolled
    page.goto("/check-in")
    live = page.locator("#triage-now")
    expect(live).to_be_hidden()

    page.get_by_label("Thoughts of hurting yourself or ending your life").check()

    expect(live).to_be_visible()
    expect(live).to_contain_text("988")
    expect(live.locator('a[href="tel:988"]')).to_be_visible()
    page.get_by_role("button", name="Send check-in").tap()

    page.wait_for_url(re.compile(r"/check-ins/\d+$"))
    action = page.locator("section.action")
    expect(action.get_by_role("heading", name="Call or text 988 now")).to_be_visible()
    expect(action.locator('a[href="tel:988"]')).to_be_visible()
    expect(action.locator('a[href="sms:988"]')).to_be_visible()

    # A newer, less urgent alert from another patient must not push the crisis down.
    with live_server.app.app_context():
        clinic = db.session.scalar(
            select(Clinic).join(Patient).where(Patient.id == demo.patient_id)
        )
        other = add_patient(db, clinic, "Blair")
        save_check_in(other, None, CheckInData("rash-later", {"rash_itching": 1}))

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
    expect(alerts.nth(1)).to_contain_text("Blair")


def test_chest_pain_offline_says_call_911_at_once_and_keeps_the_check_in(
    enrolled: Page, live_server: LiveServer, demo: Demo
) -> None:
    page = enrolled
    make_available_offline(page)
    go_offline(page, live_server)
    page.goto("/check-in")

    page.get_by_label("Chest pain or pressure").check()
    expect(page.locator("#triage-now").locator('a[href="tel:911"]')).to_be_visible()
    page.get_by_role("button", name="Send check-in").tap()

    queued = page.locator("#queued-result")
    expect(queued.get_by_role("heading", name="Call 911 now")).to_be_visible()
    expect(queued.locator('a[href="tel:911"]')).to_be_visible()
    expect(queued).to_contain_text("Saved on this phone")
    assert run_js(page, OUTBOX_STATUSES) == ["waiting"]
    assert count_check_ins(live_server, demo.patient_id) == 0


def test_one_visit_to_today_is_enough_for_every_patient_page_to_open_offline(
    enrolled: Page, live_server: LiveServer
) -> None:
    page = enrolled  # linked, and on /today: the only page this phone has opened
    assert run_js(page, "() => navigator.serviceWorker.ready.then((reg) => !!reg.active)")
    # The worker fetches and keeps the other patient pages in the background.
    wait_for_pages_kept(page, ["/today", "/check-in", "/help"])

    go_offline(page, live_server)
    page.goto("/check-in")
    expect(page.locator("#check-in-form")).to_be_visible()
    expect_crisis_bar(page)
    page.goto("/help")
    expect(page.get_by_role("heading", name="Help", exact=True)).to_be_visible()
    page.goto("/today")
    expect(page.locator('.timed__item[data-key="driving"]')).to_contain_text("Do not drive")


@pytest.mark.parametrize("failure", sorted(INDEXEDDB_FAILS))
def test_a_phone_that_cannot_store_the_check_in_sends_it_as_a_plain_form(
    enrolled: Page, live_server: LiveServer, demo: Demo, failure: str
) -> None:
    page = enrolled
    page.add_init_script(INDEXEDDB_FAILS[failure])
    page.goto("/check-in")

    page.get_by_role("group", name="Headache").get_by_label("A little").check()
    page.get_by_label("None of these").check()  # the other questions: "No"
    page.get_by_role("button", name="Send check-in").tap()

    page.wait_for_url(re.compile(r"/check-ins/\d+$"))
    expect(page.get_by_role("heading", name="Rest. This is expected.")).to_be_visible()
    [stored] = check_ins_of(live_server, demo.patient_id)
    assert stored.severities["headache"] == 1
    assert re.fullmatch(r"[0-9a-f]{32}", stored.idempotency_key)  # the key the phone made


# What the outbox of the previous version left on a phone: its database at version 1, and a
# check-in in it without the address it goes to (check-ins were the only ones without).
OUTBOX_OF_VERSION_1 = """(item) => new Promise((resolve, reject) => {
    const gone = indexedDB.deleteDatabase("aftercare");
    gone.onerror = () => reject(gone.error);
    gone.onsuccess = () => {
        const request = indexedDB.open("aftercare", 1);
        request.onupgradeneeded = () => {
            request.result.createObjectStore("outbox", {keyPath: "key"}).put(item);
        };
        request.onsuccess = () => { request.result.close(); resolve(true); };
        request.onerror = () => reject(request.error);
    };
})"""


def test_a_check_in_left_waiting_by_the_previous_outbox_is_still_sent(
    enrolled: Page, live_server: LiveServer, demo: Demo
) -> None:
    page = enrolled
    page.goto("/check-in")
    token = page.locator("#check-in-form input[name=csrf_token]").get_attribute("value")
    now = datetime.now(UTC).isoformat()
    item = {"key": "b" * 32, "fields": {"headache": "2"}, "csrf_token": token}
    item |= {"filled_at": now, "created_at": now, "status": "waiting"}
    assert run_js(page, OUTBOX_OF_VERSION_1, item)

    page.goto("/today")  # the outbox opens its database, and sends what waits

    wait_until(
        lambda: count_check_ins(live_server, demo.patient_id) == 1,
        what="the waiting check-in to reach the server",
    )
    [stored] = check_ins_of(live_server, demo.patient_id)
    assert (stored.idempotency_key, stored.severities["headache"]) == ("b" * 32, 2)
    expect(page.locator("#outbox-status .outbox__item--sent")).to_have_count(1)
