"""Reminders on the phone: from the scheduler, through a push service, to a notification.

Headless Chromium cannot subscribe with a real push service, so the phone posts a subscription
whose endpoint is the local receiver (tests/push_receiver.py), exactly as push.js posts the one
the browser makes. The receiver checks VAPID and decrypts what the app sent; DevTools then hands
that payload to the phone's service worker, as the push service would have.

Tapping a notification (the worker's notificationclick handler) is not tested here: neither
DevTools nor Playwright can click a notification in Chromium, and a synthetic event in the
worker is not trusted (waitUntil and openWindow refuse it), so it would prove nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import CDPSession, Locator, Page, expect
from sqlalchemy import select

from aftercare.extensions import db
from aftercare.models import Patient, PushSubscription, Reminder, utcnow
from aftercare.reminders.push_subscriptions import vapid_public_key
from aftercare.reminders.sender import send_due_reminders
from tests.browser.conftest import WAIT_MS, Demo, LiveServer
from tests.conftest import book_appointment
from tests.push_receiver import PushReceiver

pytestmark = pytest.mark.browser

# What a lock screen must not show: anyone near the phone can read it.
CLINICAL_WORDS = ("ketamine", "infusion", "ptsd", "suicid", "dissociat")
# CLDR may put a narrow space before PM, which \s matches.
APPOINTMENT_BODY = re.compile(
    r"You have an appointment (today|tonight|tomorrow) at \d{1,2}:\d{2}\s?[AP]M\."
)

# What push.js does with a subscription: send it with the page's CSRF token.
TELL_SERVER = """async ([method, body]) => {
    const token = document.querySelector('meta[name="csrf-token"]').content;
    const response = await fetch("/push/subscription", {
        method,
        credentials: "same-origin",
        headers: {
            "Content-Type": "application/json",
            Accept: "application/json",
            "X-CSRFToken": token,
        },
        body: JSON.stringify(body),
    });
    return {status: response.status, json: await response.json()};
}"""
WORKER_ACTIVE = "async () => !!(await navigator.serviceWorker.ready).active"
NOTIFICATIONS = """async () => {
    const shown = await (await navigator.serviceWorker.ready).getNotifications();
    return shown.map((n) => ({
        title: n.title, body: n.body, tag: n.tag, icon: n.icon, data: n.data,
    }));
}"""


def run_js(page: Page, function: str, arg: object = None) -> Any:
    """page.evaluate with a deadline: a promise that never settles fails the test instead."""
    bounded = f"""async (arg) => Promise.race([
        ({function})(arg),
        new Promise((_, reject) => setTimeout(() => reject(new Error("timed out")), {WAIT_MS})),
    ])"""
    return page.evaluate(bounded, arg)


def poll(page: Page, condition: Any, what: str) -> Any:
    """Poll while letting Playwright run (its events arrive only while it has the thread)."""
    for _ in range(WAIT_MS // 100):
        if value := condition():
            return value
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out after {WAIT_MS / 1000} s waiting for {what}")


@pytest.fixture
def receiver(live_server: LiveServer) -> Iterator[PushReceiver]:
    """A local push service; the app may send to it although it is plain HTTP on loopback."""
    live_server.app.config.update(PUSH_ALLOW_LOOPBACK_HTTP=True, PUSH_TIMEOUT_SECONDS=2)
    with PushReceiver(vapid_public_key(live_server.app), hang_limit=5) as receiver:
        yield receiver


@pytest.fixture
def phone_with_notifications(enrolled: Page, live_server: LiveServer) -> Page:
    """The linked phone, its patient said yes to notifications, its service worker running."""
    enrolled.context.grant_permissions(["notifications"], origin=live_server.url)
    assert run_js(enrolled, WORKER_ACTIVE)
    return enrolled


def turn_reminders_on(page: Page, receiver: PushReceiver) -> dict[str, Any]:
    """Post a subscription on the local receiver, as push.js does after subscribe()."""
    subscription = receiver.new_subscription()
    answer = run_js(page, TELL_SERVER, ["POST", subscription])
    assert answer == {"status": 201, "json": {"reminders": "on"}}
    return subscription


def reminders_section(page: Page) -> Locator:
    """Today's reminders section, freshly served."""
    page.goto("/today")
    # The server's own word; push.js then speaks for this browser, which has no subscription.
    return page.locator("#reminders")


def book_infusion_reminder(live_server: LiveServer, demo: Demo) -> tuple[int, timedelta]:
    """Book an infusion 2 h 5 min from now, as the clinic does; returns its 2-hour reminder.

    The app words the reminder itself (not a test helper), so the lock-screen check below
    checks the app's text, for the kind of appointment most likely to leak into it.
    """
    with live_server.app.app_context():
        patient = db.session.get(Patient, demo.patient_id)
        appointment = book_appointment(db, patient, "infusion", timedelta(hours=2, minutes=5))
        db.session.commit()
        reminder = db.session.scalar(
            select(Reminder).where(
                Reminder.appointment_id == appointment.id, Reminder.kind == "before_2h"
            )
        )
        assert reminder is not None, "booking the infusion planned no 2-hour reminder"
        return reminder.id, reminder.due_at - utcnow()


def registration_id(page: Page, cdp: CDPSession, scope: str) -> str:
    """The service worker registration's id, as DevTools reports it once asked to watch."""
    seen: dict[str, str] = {}

    def note(event: dict[str, Any]) -> None:
        for registration in event["registrations"]:
            if registration["scopeURL"] == scope and not registration["isDeleted"]:
                seen["id"] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", note)
    cdp.send("ServiceWorker.enable")
    return poll(page, lambda: seen.get("id"), f"the service worker registered for {scope}")


def deliver(page: Page, live_server: LiveServer, payload: str) -> list[dict[str, Any]]:
    """Hand a push payload to the phone's service worker, as the push service would; returns
    the notifications the worker then shows.

    The DevTools session stays open until they show: the push event is dispatched after the
    command returns, and closing the session at once could lose it (seen on a busy machine).
    """
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": live_server.url,
                "registrationId": registration_id(page, cdp, f"{live_server.url}/"),
                "data": payload,
            },
        )
        return poll(page, lambda: run_js(page, NOTIFICATIONS), "the notification")
    finally:
        cdp.detach()


def test_a_reminder_travels_from_the_scheduler_to_a_notification_on_the_phone(
    phone_with_notifications: Page, live_server: LiveServer, demo: Demo, receiver: PushReceiver
) -> None:
    page = phone_with_notifications
    subscription = turn_reminders_on(page, receiver)
    expect(reminders_section(page)).to_have_attribute("data-on", "true")

    reminder_id, due_in = book_infusion_reminder(live_server, demo)
    with live_server.app.app_context():
        summary = send_due_reminders(now=utcnow() + due_in + timedelta(minutes=1))
    assert summary.delivered == 1, summary

    (received,) = receiver.wait_for(1, timeout=WAIT_MS / 1000, endpoint=subscription["endpoint"])
    payload = received.payload.decode()
    assert json.loads(payload)["tag"] == f"reminder-{reminder_id}"
    assert run_js(page, NOTIFICATIONS) == []
    (notification,) = deliver(page, live_server, payload)
    assert notification["title"] == "Appointment reminder"
    # Two hours before: "today" or "tonight", or "tomorrow" just after midnight.
    assert APPOINTMENT_BODY.fullmatch(notification["body"]), notification["body"]
    assert notification["tag"] == f"reminder-{reminder_id}"
    icon = urlparse(notification["icon"])
    assert f"{icon.scheme}://{icon.netloc}" == live_server.url
    assert icon.path.startswith("/static/icons/")
    # An appointment's reminder names it by id (nothing else), for its answer buttons
    # (tests/browser/test_appointment_reply.py).
    assert notification["data"]["url"] == "/today"
    assert set(notification["data"]) == {"url", "appointment"}
    lock_screen = f"{notification['title']} {notification['body']}".lower()
    assert not [word for word in CLINICAL_WORDS if word in lock_screen], lock_screen


def test_turning_reminders_off_removes_the_subscription(
    phone_with_notifications: Page, live_server: LiveServer, receiver: PushReceiver
) -> None:
    page = phone_with_notifications
    subscription = turn_reminders_on(page, receiver)
    expect(reminders_section(page)).to_have_attribute("data-on", "true")

    answer = run_js(page, TELL_SERVER, ["DELETE", {"endpoint": subscription["endpoint"]}])

    assert answer == {"status": 200, "json": {"reminders": "off", "removed": True}}
    with live_server.app.app_context():
        assert not db.session.scalars(
            select(PushSubscription).where(PushSubscription.endpoint == subscription["endpoint"])
        ).all()
    expect(reminders_section(page)).to_have_attribute("data-on", "false")


# The browser's own push service, faked: headless Chromium has none. push.js gets this
# subscription from subscribe(), as it would get FCM's or Apple's, and posts it as it is.
FAKE_PUSH_SERVICE = """(subscription) => {
    const fake = {
        endpoint: subscription.endpoint,
        toJSON() { return subscription; },
        unsubscribe() { window.unsubscribed = true; return Promise.resolve(true); },
    };
    PushManager.prototype.subscribe = () => Promise.resolve(fake);
    PushManager.prototype.getSubscription = () => Promise.resolve(null);
}"""


def test_a_refused_push_service_is_explained_on_the_phone(
    phone_with_notifications: Page, live_server: LiveServer, receiver: PushReceiver
) -> None:
    page = phone_with_notifications
    subscription = {**receiver.new_subscription(), "endpoint": "https://10.0.0.1/push/x"}
    page.add_init_script(f"({FAKE_PUSH_SERVICE})({json.dumps(subscription)})")
    section = reminders_section(page)
    button = section.get_by_role("button", name="Turn on reminders")

    button.click()

    help_text = section.locator(".push__help")
    expect(help_text).to_have_text(
        "Aftercare cannot send reminders through this browser's notification service. "
        "Please use Chrome, Safari, Firefox or Edge."
    )
    expect(help_text).to_be_in_viewport()
    expect(help_text).to_have_attribute("aria-live", "polite")
    expect(section.locator(".push__status")).to_have_text("Reminders are off for this phone.")
    expect(button).to_be_enabled()
    # The phone lets go of what the server will not use, so both sides agree.
    assert page.evaluate("window.unsubscribed") is True
    with live_server.app.app_context():
        assert db.session.scalars(select(PushSubscription)).all() == []


def test_three_questionnaires_due_together_show_as_one_notification(
    phone_with_notifications: Page, live_server: LiveServer, demo: Demo, receiver: PushReceiver
) -> None:
    page = phone_with_notifications
    subscription = turn_reminders_on(page, receiver)
    with live_server.app.app_context():
        # The demo patient's course, as recording the infusion planned it: the PCL-5, PHQ-9 and
        # GAD-7 all fall due the next morning at the clinic's questionnaire hour.
        planned = db.session.scalars(
            select(Reminder)
            .where(
                Reminder.patient_id == demo.patient_id, Reminder.kind.startswith("questionnaire_")
            )
            .order_by(Reminder.due_at, Reminder.id)
        ).all()
        together = [r.id for r in planned if r.due_at == planned[0].due_at]
        assert len(together) == 3
        due = planned[0].due_at
        # The morning check-in prompt, an hour before, goes on its own.
        morning = send_due_reminders(now=due - timedelta(minutes=59))
        assert (morning.delivered, morning.pushes) == (1, 1), morning
        receiver.clear()

        summary = send_due_reminders(now=due + timedelta(seconds=30))

        assert (summary.delivered, summary.pushes) == (3, 1), summary
        states = db.session.scalars(select(Reminder.state).where(Reminder.id.in_(together)))
        assert set(states) == {"delivered"}
    (received,) = receiver.wait_for(1, timeout=WAIT_MS / 1000, endpoint=subscription["endpoint"])
    payload = received.payload.decode()
    assert run_js(page, NOTIFICATIONS) == []

    (notification,) = deliver(page, live_server, payload)

    assert notification["title"] == "A few questions for your care team"
    assert notification["body"] == "3 short questionnaires are ready. Tap to start."
    assert notification["tag"] == json.loads(payload)["tag"]
    assert notification["data"] == {"url": "/today"}
    lock_screen = f"{notification['title']} {notification['body']}".lower()
    assert not [word for word in CLINICAL_WORDS if word in lock_screen], lock_screen
