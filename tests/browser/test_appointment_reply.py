"""Answering an appointment's reminder in the browser: a notification's "I'll be there" button,
delivered through the DevTools push path; Today's buttons on a phone, online and offline; and
the clinic's list of requests for another time on the dashboard.

A notification cannot be clicked in headless Chromium (neither DevTools nor Playwright can), so
the tap is a NotificationEvent dispatched in the service worker on the notification it shows.
The browser does not let a script's event keep the worker alive (waitUntil refuses it); the
worker's handler sends the answer all the same, and the test waits for it in the database.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from aftercare.appointment_replies import record_reply
from aftercare.extensions import db
from aftercare.models import Appointment, Patient, Reminder, utcnow
from aftercare.reminders.sender import send_due_reminders
from tests.browser import test_push_notifications as push
from tests.browser.conftest import WAIT_MS, Demo, LiveServer
from tests.browser.test_clinician import accessibility_violations, assert_no_violations, sign_in
from tests.browser.test_push_notifications import deliver, poll, run_js, turn_reminders_on
from tests.conftest import book_appointment
from tests.push_receiver import PushReceiver

pytestmark = pytest.mark.browser

# The push tests' fixtures: the local push service, and a phone that allows notifications.
receiver = push.receiver
phone_with_notifications = push.phone_with_notifications

CLINICIAN_SCREEN = {"width": 1366, "height": 900}
SHOWN_ACTIONS = """async () => {
    const shown = await (await navigator.serviceWorker.ready).getNotifications();
    return shown.map((n) => ({tag: n.tag, actions: n.actions, data: n.data}));
}"""
# The patient taps "I'll be there" on the notification the worker shows.
TAP_ACTION = """async (action) => {
    const [notification] = await self.registration.getNotifications();
    self.dispatchEvent(new NotificationEvent("notificationclick", {notification, action}));
    return notification.tag;
}"""


def booked(live_server: LiveServer, patient_id: int, starts_in: timedelta) -> int:
    with live_server.app.app_context():
        patient = db.session.get(Patient, patient_id)
        appointment = book_appointment(db, patient, "follow_up", starts_in)
        db.session.commit()
        return appointment.id


def answer_of(live_server: LiveServer, appointment_id: int) -> tuple[str | None, str | None]:
    with live_server.app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        return appointment.reply, appointment.reply_channel


def test_i_will_be_there_on_a_pushed_notification_is_recorded_on_the_appointment(
    phone_with_notifications: Page, live_server: LiveServer, demo: Demo, receiver: PushReceiver
) -> None:
    page = phone_with_notifications
    subscription = turn_reminders_on(page, receiver)
    appointment_id = booked(live_server, demo.patient_id, timedelta(hours=2, minutes=5))
    with live_server.app.app_context():
        reminder = db.session.scalar(
            select(Reminder).where(
                Reminder.appointment_id == appointment_id, Reminder.kind == "before_2h"
            )
        )
        summary = send_due_reminders(now=reminder.due_at + timedelta(minutes=1))
    assert summary.delivered == 1, summary
    (received,) = receiver.wait_for(1, timeout=WAIT_MS / 1000, endpoint=subscription["endpoint"])
    payload = received.payload.decode()
    assert json.loads(payload)["appointment"] == appointment_id
    assert demo.patient_name not in payload

    deliver(page, live_server, payload)

    (shown,) = run_js(page, SHOWN_ACTIONS)
    assert [(a["action"], a["title"]) for a in shown["actions"]] == [
        ("confirmed", "I'll be there"),
        ("needs_new_time", "I need another time"),
    ]
    assert shown["data"]["appointment"] == str(appointment_id)
    assert answer_of(live_server, appointment_id) == (None, None)

    (worker,) = page.context.service_workers
    assert worker.evaluate(TAP_ACTION, "confirmed") == shown["tag"]

    # Sent by the worker through the outbox (with a form token it fetched itself).
    poll(
        page,
        lambda: answer_of(live_server, appointment_id) == ("confirmed", "notification"),
        "the answer on the appointment",
    )
    assert run_js(page, SHOWN_ACTIONS) == []  # the notification is closed
    # Nothing is left waiting in the outbox: it was sent, once.
    items = run_js(page, "async () => (await AftercareOutbox.all()).map((i) => i.status)")
    assert items == ["sent"]


def test_today_answers_with_one_tap_and_keeps_an_answer_given_offline(
    browser: Browser, live_server: LiveServer, demo: Demo, enrolled: Page
) -> None:
    page = enrolled
    appointment_id = booked(live_server, demo.patient_id, timedelta(days=2))
    page.goto("/today")
    box = page.get_by_role("region", name="Your next appointment")
    confirm = box.get_by_role("button", name="I'll be there")
    confirm.scroll_into_view_if_needed()
    expect(confirm).to_be_in_viewport()
    assert_no_violations(accessibility_violations(page))

    confirm.tap()

    expect(box.get_by_text("You told your clinic you will be there.")).to_be_visible()
    assert answer_of(live_server, appointment_id) == ("confirmed", "app")
    expect(box.get_by_role("button", name="I'll be there")).to_have_count(0)

    # No signal: the answer is kept on the phone, and said so; sent when the network returns.
    page.context.set_offline(True)
    box.get_by_role("button", name="I need another time").tap()
    queued = box.locator("#reply-queued")
    expect(queued).to_have_text("Your answer will be sent to your clinic when you are back online.")
    expect(queued).to_be_in_viewport()
    assert answer_of(live_server, appointment_id) == ("confirmed", "app")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    poll(
        page,
        lambda: answer_of(live_server, appointment_id)[0] == "needs_new_time",
        "the answer kept offline",
    )


def test_the_dashboard_lists_requests_for_another_time_to_act_on(
    browser: Browser, live_server: LiveServer, demo: Demo
) -> None:
    appointment_id = booked(live_server, demo.patient_id, timedelta(days=3))
    with live_server.app.app_context():
        record_reply(
            db.session.get(Appointment, appointment_id), "needs_new_time", "email", utcnow()
        )
        db.session.commit()
    context = browser.new_context(base_url=live_server.url, viewport=CLINICIAN_SCREEN)
    try:
        page = context.new_page()
        sign_in(page, demo.clinician_email, demo.clinician_password)
        page.wait_for_url("**/clinic/")
        requests = page.get_by_role("region", name="Asked for another time")
        item = requests.get_by_role("listitem")
        expect(item).to_have_count(1)
        expect(item).to_contain_text(demo.patient_name)
        expect(item).to_contain_text("by email")
        button = item.get_by_role("button", name="Mark handled")
        expect(button).to_be_in_viewport()  # beside the alerts, no scrolling to find it
        assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
        assert_no_violations(accessibility_violations(page))

        button.click()

        expect(page.get_by_text("is marked handled")).to_be_visible()
        expect(requests).to_contain_text("No requests for another time.")
        with live_server.app.app_context():
            assert db.session.get(Appointment, appointment_id).reply_handled_at is not None
        page.goto(f"/clinic/patients/{demo.patient_id}")
        row = page.get_by_role("region", name="Appointments").locator("tbody tr").first
        expect(row).to_contain_text("Needs another time")
        assert_no_violations(accessibility_violations(page))
    finally:
        context.close()
