"""Reaching the phone: the card that adds Aftercare to the Home Screen (steps on iPhone Safari,
"Open in Safari" in the other iOS browsers, the browser's own prompt on Android), put off for a
week and never shown in the installed app; and notifications asked for only after a tap on the
reminders card, with what to do when that fails.

Chromium plays each phone by its User-Agent: Today carries the install way of the phone that
asks (aftercare/patient/install.py). What Chromium cannot be told by a User-Agent (running from
the Home Screen, an iPhone's missing PushManager) is set up by a script run before the page's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from sqlalchemy import select

from aftercare.extensions import db
from aftercare.models import PushSubscription, utcnow
from aftercare.reminders.sender import send_due_reminders
from tests.browser.conftest import PHONE, WAIT_MS, Demo, LiveServer
from tests.browser.test_clinician import (
    accessibility_violations,
    assert_no_violations,
    sign_in,
)
from tests.browser.test_push_notifications import (
    FAKE_PUSH_SERVICE,
    book_infusion_reminder,
    receiver,  # noqa: F401 (a fixture)
)
from tests.push_receiver import PushReceiver

pytestmark = pytest.mark.browser

IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like"
    " Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
IPHONE_CHROME = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like"
    " Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1"
)
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/131.0.0.0 Mobile Safari/537.36"
)
VIEWPORT_HEIGHT = PHONE["viewport"]["height"]
PUT_OFF = "aftercare-install-put-off"
DAY_MS = 24 * 60 * 60 * 1000

# Running from the Home Screen, as Chromium cannot be made to: the display mode, and Safari's
# own flag.
STANDALONE_DISPLAY = """(() => {
    const real = window.matchMedia.bind(window);
    window.matchMedia = (query) => query.includes("display-mode: standalone")
        ? { matches: true, media: query, addEventListener() {}, removeEventListener() {} }
        : real(query);
})()"""
SAFARI_STANDALONE = "Object.defineProperty(Navigator.prototype, 'standalone', { get: () => true });"
# Counts every request for notification permission, and still asks.
COUNT_PERMISSION_REQUESTS = """(() => {
    window.permissionRequests = 0;
    const ask = Notification.requestPermission.bind(Notification);
    Notification.requestPermission = (...args) => {
        window.permissionRequests += 1;
        return ask(...args);
    };
})()"""
# An iPhone's Safari tab: no Web Push at all (only the app on the Home Screen has it).
NO_PUSH = "delete window.PushManager; delete window.Notification;"
# The browser's install offer, as Chromium sends it once the app can be installed.
OFFER_INSTALL = """(outcome) => {
    window.prompted = 0;
    const offer = new Event("beforeinstallprompt", { cancelable: true });
    offer.prompt = () => { window.prompted += 1; return Promise.resolve(); };
    offer.userChoice = Promise.resolve({ outcome, platform: "web" });
    window.dispatchEvent(offer);
    return offer.defaultPrevented;
}"""


def linked_phone(
    phone: Callable[..., BrowserContext],
    demo: Demo,
    *,
    user_agent: str,
    locale: str = "en-US",
    link: str = "Link this phone",
    init_scripts: tuple[str, ...] = (),
) -> Page:
    """A phone of this kind, linked to the demo patient, on Today."""
    context = phone(user_agent=user_agent, locale=locale)
    for script in init_scripts:
        context.add_init_script(script)
    page = context.new_page()
    page.goto(demo.enrollment_url)
    page.get_by_role("button", name=link).tap()
    page.wait_for_url("**/today")
    return page


def install_card(page: Page) -> Locator:
    return page.locator("#install")


def reminders_card(page: Page) -> Locator:
    return page.locator("#reminders")


def scripts_ran(page: Page) -> None:
    """push.js has run: it shows the reminders button, or explains why there is none."""
    expect(
        reminders_card(page).locator(".push__toggle:visible, .push__help:not(:empty)")
    ).not_to_have_count(0)


def top(locator: Locator) -> float:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not laid out"
    return box["y"]


def bottom(locator: Locator) -> float:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not laid out"
    return box["y"] + box["height"]


def assert_first_screen_kept(page: Page, card: Locator) -> None:
    """The first rule and the Check in button stay on the first screen, the card below them."""
    assert page.evaluate("() => window.scrollY") == 0
    first_rule = page.locator(".timed__item--first")
    check_in = page.locator("main").get_by_role("link", name=re.compile(r"Check in$")).first
    assert bottom(first_rule) <= VIEWPORT_HEIGHT
    assert bottom(check_in) <= VIEWPORT_HEIGHT
    assert top(card) >= bottom(check_in)


def put_off(page: Page, days_ago: float) -> None:
    page.evaluate(
        "([key, ms]) => localStorage.setItem(key, String(Date.now() - ms))",
        [PUT_OFF, days_ago * DAY_MS],
    )


def test_iphone_safari_shows_the_steps_and_not_now_holds_for_a_week(
    phone: Callable[..., BrowserContext], demo: Demo
) -> None:
    page = linked_phone(phone, demo, user_agent=IPHONE_SAFARI)
    card = install_card(page)

    expect(card).to_be_visible()
    expect(card.get_by_role("heading", name="Add Aftercare to your Home Screen")).to_be_visible()
    steps = card.get_by_role("listitem")
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_contain_text("Tap the Share button")
    expect(steps.nth(1)).to_contain_text("Add to Home Screen")
    # The Share icon is drawn in the page, not fetched from anywhere.
    expect(steps.nth(0).locator("svg path")).to_have_count(1)
    expect(card.locator("img")).to_have_count(0)
    expect(card.get_by_role("button", name="Add to Home Screen")).to_have_count(0)
    assert_first_screen_kept(page, card)
    assert_no_violations(accessibility_violations(page))

    card.get_by_role("button", name="Not now").tap()
    expect(card).to_be_hidden()
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.reload()
    scripts_ran(page)
    expect(card).to_be_hidden()

    # Six days later it still waits; after a week it comes back.
    put_off(page, days_ago=6)
    page.reload()
    scripts_ran(page)
    expect(card).to_be_hidden()
    put_off(page, days_ago=7.01)
    page.reload()
    expect(card).to_be_visible()
    expect(card.get_by_role("listitem")).to_have_count(3)


@pytest.mark.parametrize(
    ("user_agent", "installed"),
    [
        (IPHONE_SAFARI, SAFARI_STANDALONE),
        (IPHONE_SAFARI, STANDALONE_DISPLAY),
        (ANDROID_CHROME, STANDALONE_DISPLAY),
    ],  # fmt: skip
    ids=["iphone-navigator-standalone", "iphone-display-mode", "android-display-mode"],
)
def test_the_installed_app_never_shows_the_card(
    phone: Callable[..., BrowserContext], demo: Demo, user_agent: str, installed: str
) -> None:
    page = linked_phone(phone, demo, user_agent=user_agent, init_scripts=(installed,))
    scripts_ran(page)
    # Even when the browser offers installing again.
    assert page.evaluate(OFFER_INSTALL, "accepted") is False
    expect(install_card(page)).to_be_hidden()


def test_other_browsers_on_iphone_are_told_to_open_safari(
    phone: Callable[..., BrowserContext], demo: Demo
) -> None:
    page = linked_phone(phone, demo, user_agent=IPHONE_CHROME)
    card = install_card(page)

    expect(card).to_be_visible()
    expect(card).to_contain_text("Open in Safari.")
    expect(card).to_contain_text("only Safari can add Aftercare to your Home Screen")
    expect(card.get_by_role("listitem")).to_have_count(0)
    expect(card.get_by_role("button", name="Add to Home Screen")).to_have_count(0)
    assert_first_screen_kept(page, card)


@pytest.mark.parametrize(("outcome", "put_off_stored"), [("accepted", False), ("dismissed", True)])
def test_android_shows_the_browsers_own_install_prompt_from_the_card(
    phone: Callable[..., BrowserContext], demo: Demo, outcome: str, put_off_stored: bool
) -> None:
    page = linked_phone(phone, demo, user_agent=ANDROID_CHROME)
    card = install_card(page)
    scripts_ran(page)

    # The card takes the offer (no browser banner) and shows its button.
    assert page.evaluate(OFFER_INSTALL, outcome) is True
    button = card.get_by_role("button", name="Add to Home Screen")
    expect(button).to_be_visible()
    expect(card.get_by_role("listitem")).to_have_count(0)
    assert_first_screen_kept(page, card)

    button.tap()

    expect(card).to_be_hidden()
    assert page.evaluate("() => window.prompted") == 1
    stored = page.evaluate(f"() => localStorage.getItem({json.dumps(PUT_OFF)})")
    assert (stored is not None) is put_off_stored, stored


def test_no_page_asks_for_notifications_on_its_own(
    phone: Callable[..., BrowserContext], demo: Demo
) -> None:
    page = linked_phone(
        phone, demo, user_agent=ANDROID_CHROME, init_scripts=(COUNT_PERMISSION_REQUESTS,)
    )
    for path in ("/today", "/check-in", "/help", "/today"):
        page.goto(path)
        page.wait_for_load_state("load")
        assert page.evaluate("() => window.permissionRequests") == 0, path
    scripts_ran(page)
    card = reminders_card(page)
    expect(card.get_by_role("button", name="Turn on reminders")).to_be_visible()
    assert page.evaluate("() => window.permissionRequests") == 0
    assert page.evaluate("() => Notification.permission") == "default"


def test_turning_reminders_on_asks_after_the_tap_then_reminders_arrive(
    phone: Callable[..., BrowserContext],
    demo: Demo,
    live_server: LiveServer,
    receiver: PushReceiver,  # noqa: F811
) -> None:
    subscription = receiver.new_subscription()
    page = linked_phone(
        phone,
        demo,
        user_agent=ANDROID_CHROME,
        init_scripts=(
            COUNT_PERMISSION_REQUESTS,
            f"({FAKE_PUSH_SERVICE})({json.dumps(subscription)})",
        ),
    )
    page.context.grant_permissions(["notifications"], origin=live_server.url)
    page.reload()
    card = reminders_card(page)
    # What the patient will get, and that they can stop it, before anything is asked.
    expect(card).to_contain_text(
        "We remind you of appointments, check-ins and questions from your care team."
        " You can turn this off here at any time."
    )
    button = card.get_by_role("button", name="Turn on reminders")
    expect(button).to_be_visible()
    assert page.evaluate("() => window.permissionRequests") == 0

    button.tap()

    expect(card.locator(".push__status")).to_have_text("Reminders are on for this phone.")
    expect(card.get_by_role("button", name="Turn off reminders")).to_be_visible()
    assert page.evaluate("() => window.permissionRequests") == 1
    with live_server.app.app_context():
        endpoints = db.session.scalars(select(PushSubscription.endpoint)).all()
    assert endpoints == [subscription["endpoint"]]
    # And a reminder now reaches the push service of this phone.
    _, due_in = book_infusion_reminder(live_server, demo)
    with live_server.app.app_context():
        summary = send_due_reminders(now=utcnow() + due_in + timedelta(minutes=1))
    assert summary.delivered == 1, summary
    receiver.wait_for(1, timeout=WAIT_MS / 1000, endpoint=subscription["endpoint"])


def deny_notifications(page: Page, live_server: LiveServer) -> None:
    """The patient said no (or blocked the site): Chromium's own permission setting."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send(
            "Browser.setPermission",
            {
                "permission": {"name": "notifications"},
                "setting": "denied",
                "origin": live_server.url,
            },
        )
    finally:
        cdp.detach()


def test_blocked_notifications_say_how_to_allow_them_on_this_phone(
    phone: Callable[..., BrowserContext], demo: Demo, live_server: LiveServer
) -> None:
    page = linked_phone(
        phone, demo, user_agent=ANDROID_CHROME, init_scripts=(COUNT_PERMISSION_REQUESTS,)
    )
    scripts_ran(page)
    deny_notifications(page, live_server)
    card = reminders_card(page)
    card.get_by_role("button", name="Turn on reminders").scroll_into_view_if_needed()

    card.get_by_role("button", name="Turn on reminders").tap()

    help_text = card.locator(".push__help")
    expect(help_text).to_have_text(
        "Notifications are blocked for this site. To allow them, tap the icon left of the web"
        " address, then Permissions, and turn on Notifications. Then tap “Turn on reminders”"
        " again."
    )
    expect(help_text).to_have_attribute("aria-live", "polite")
    expect(help_text).to_be_in_viewport()
    expect(card.locator(".push__status")).to_have_text("Reminders are off for this phone.")
    assert page.evaluate("() => window.permissionRequests") == 1
    assert_no_violations(accessibility_violations(page))

    # Opened again later: the same help at once, and nothing asked.
    page.reload()
    expect(reminders_card(page).locator(".push__help")).to_contain_text(
        "Notifications are blocked for this site."
    )
    assert page.evaluate("() => window.permissionRequests") == 0


def test_an_iphone_not_on_the_home_screen_gets_the_install_steps_for_reminders(
    phone: Callable[..., BrowserContext], demo: Demo
) -> None:
    page = linked_phone(phone, demo, user_agent=IPHONE_SAFARI, init_scripts=(NO_PUSH,))
    # Put off on the install card; the reminders card still says how.
    install_card(page).get_by_role("button", name="Not now").tap()
    card = reminders_card(page)

    expect(card).to_contain_text(
        "On iPhone and iPad, reminders work only once Aftercare is on your Home Screen."
    )
    steps = card.get_by_role("listitem")
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_contain_text("Tap the Share button")
    expect(card.get_by_role("button", name="Turn on reminders")).to_be_hidden()
    assert_no_violations(accessibility_violations(page))


def test_a_browser_without_push_offers_email_instead(
    phone: Callable[..., BrowserContext], demo: Demo
) -> None:
    page = linked_phone(phone, demo, user_agent=ANDROID_CHROME, init_scripts=(NO_PUSH,))
    card = reminders_card(page)

    expect(card.locator(".push__help")).to_have_text(
        "This browser cannot get reminders. You can get them by email instead."
    )
    link = card.get_by_role("link", name="Get reminders by email instead")
    expect(link).to_have_attribute("href", "/reminders/email")
    expect(card.get_by_role("button", name="Turn on reminders")).to_be_hidden()
    link.tap()
    page.wait_for_url("**/reminders/email")


def test_a_failed_subscription_says_to_check_the_connection_and_try_again(
    phone: Callable[..., BrowserContext], demo: Demo, live_server: LiveServer
) -> None:
    failing = (
        "PushManager.prototype.subscribe = () => Promise.reject(new DOMException('push"
        " service not available', 'AbortError'));"
    )
    page = linked_phone(phone, demo, user_agent=ANDROID_CHROME, init_scripts=(failing,))
    page.context.grant_permissions(["notifications"], origin=live_server.url)
    card = reminders_card(page)
    button = card.get_by_role("button", name="Turn on reminders")

    button.tap()

    expect(card.locator(".push__help")).to_have_text(
        "Reminders could not be changed. Check that you are online, then try again."
    )
    expect(button).to_be_enabled()
    expect(card.locator(".push__status")).to_have_text("Reminders are off for this phone.")


def test_the_install_card_in_spanish(phone: Callable[..., BrowserContext], demo: Demo) -> None:
    page = linked_phone(
        phone, demo, user_agent=IPHONE_SAFARI, locale="es-US", link="Conectar este teléfono"
    )
    card = install_card(page)

    expect(
        card.get_by_role("heading", name="Agregue Aftercare a su pantalla de inicio")
    ).to_be_visible()
    expect(card.get_by_role("listitem").nth(0)).to_contain_text("Toque el botón Compartir")
    expect(card.get_by_role("button", name="Ahora no")).to_be_visible()
    expect(reminders_card(page)).to_contain_text("Le recordamos sus citas")
    assert_no_violations(accessibility_violations(page))


# The phone's own push service, faked as FAKE_PUSH_SERVICE does, but keeping the subscription
# across pages, as a real one does; and running from the Home Screen only once a page says so
# (an init script cannot be taken back from a browser context).
KEPT_PUSH_SERVICE = """(subscription) => {
    const fake = {
        endpoint: subscription.endpoint,
        toJSON() { return Object.assign({}, subscription); },
        unsubscribe() { return Promise.resolve(true); },
    };
    PushManager.prototype.subscribe = () => {
        localStorage.setItem("fake-subscribed", "1");
        return Promise.resolve(fake);
    };
    PushManager.prototype.getSubscription = () =>
        Promise.resolve(localStorage.getItem("fake-subscribed") ? fake : null);
}"""
STANDALONE_WHEN_TOLD = f"""if (localStorage.getItem("fake-standalone")) {STANDALONE_DISPLAY}"""
CLINICIAN_SCREEN = {"width": 1366, "height": 900}


def turn_reminders_on(page: Page, live_server: LiveServer) -> None:
    """Notifications allowed for the site, then the patient taps the button on Today."""
    page.context.grant_permissions(["notifications"], origin=live_server.url)
    page.reload()
    card = reminders_card(page)
    card.get_by_role("button", name="Turn on reminders").tap()
    expect(card.locator(".push__status")).to_have_text("Reminders are on for this phone.")


def push_js_done(page: Page) -> None:
    """push.js has asked for this phone's subscription and sent what it would send (it asked
    first; this waits for the same answers, then one more turn)."""
    page.evaluate(
        """() => navigator.serviceWorker.ready
            .then((registration) => registration.pushManager.getSubscription())
            .then(() => new Promise((done) => setTimeout(done, 0)))"""
    )


def said_installed(live_server: LiveServer) -> list[bool | None]:
    with live_server.app.app_context():
        return list(db.session.scalars(select(PushSubscription.installed)))


def test_the_clinic_sees_that_reminders_reach_the_installed_app(
    browser: Browser,
    phone: Callable[..., BrowserContext],
    demo: Demo,
    live_server: LiveServer,
    receiver: PushReceiver,  # noqa: F811
) -> None:
    subscription = receiver.new_subscription()
    page = linked_phone(
        phone,
        demo,
        user_agent=ANDROID_CHROME,
        init_scripts=(STANDALONE_DISPLAY, f"({FAKE_PUSH_SERVICE})({json.dumps(subscription)})"),
    )
    turn_reminders_on(page, live_server)
    assert said_installed(live_server) == [True]

    context = browser.new_context(base_url=live_server.url, viewport=CLINICIAN_SCREEN)
    context.set_default_timeout(WAIT_MS)
    try:
        nurse = context.new_page()
        sign_in(nurse, demo.clinician_email, demo.clinician_password)
        nurse.wait_for_url("**/clinic/")
        row = nurse.get_by_role("row").filter(has_text=demo.patient_name)
        expect(row).to_contain_text("Push: 1 phone (installed app), nothing delivered yet")
        nurse.goto(f"/clinic/patients/{demo.patient_id}")
        reach = nurse.locator("#reach")
        expect(reach).to_contain_text("Push: 1 phone (installed app)")
        expect(reach).to_be_in_viewport()
        assert_no_violations(accessibility_violations(nurse))
    finally:
        context.close()


def test_a_phone_says_once_when_it_starts_running_as_the_installed_app(
    phone: Callable[..., BrowserContext],
    demo: Demo,
    live_server: LiveServer,
    receiver: PushReceiver,  # noqa: F811
) -> None:
    subscription = receiver.new_subscription()
    page = linked_phone(
        phone,
        demo,
        user_agent=ANDROID_CHROME,
        init_scripts=(
            STANDALONE_WHEN_TOLD,
            f"({KEPT_PUSH_SERVICE})({json.dumps(subscription)})",
        ),
    )
    turn_reminders_on(page, live_server)
    assert said_installed(live_server) == [False]  # in a browser tab
    told: list[str] = []
    page.on(
        "request",
        lambda request: (
            told.append(request.method) if request.url.endswith("/push/subscription") else None
        ),
    )

    # Added to the Home Screen, and opened from there: any page says so, once.
    page.evaluate("() => localStorage.setItem('fake-standalone', '1')")
    with page.expect_response(
        lambda response: response.url.endswith("/push/subscription")
    ) as patched:
        page.goto("/check-in")
    assert patched.value.status == 200
    assert told == ["PATCH"]
    assert said_installed(live_server) == [True]

    page.goto("/today")
    expect(reminders_card(page).locator(".push__status")).to_have_text(
        "Reminders are on for this phone."
    )
    page.goto("/check-in")
    push_js_done(page)
    assert told == ["PATCH"], "said again though nothing changed"
