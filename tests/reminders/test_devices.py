"""Reminders go to linked phones only: one subscription per phone, none once it is unlinked,
and a handful of phones per patient at most."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from aftercare.models import (
    Delivery,
    Device,
    EnrollmentLink,
    PushSubscription,
    Reminder,
    utcnow,
)
from tests.conftest import csrf_from, enroll, enrollment_token
from tests.reminders.conftest import (
    add_device,
    add_reminder,
    scheduler_running,
    subscribe,
    turn_reminders_on,
    wait_until,
)


def reminder_state(db, reminder: Reminder) -> Reminder:  # noqa: ANN001
    db.session.expire_all()
    return db.session.get(Reminder, reminder.id)


def unlink(clinician_client, patient, device_id: int):  # noqa: ANN001, ANN201
    page = clinician_client.get(f"/clinic/patients/{patient.id}")
    return clinician_client.post(
        f"/clinic/patients/{patient.id}/devices/{device_id}/revoke",
        data={"csrf_token": csrf_from(page.text)},
    )


def test_an_unlinked_phone_loses_its_subscription_and_gets_no_reminder(
    push_app, db, phone, second_phone, patient, second_patient, clinician_client, receiver
):
    lost = turn_reminders_on(phone, receiver)
    other = turn_reminders_on(second_phone, receiver)
    device = db.session.scalar(select(Device).where(Device.patient_id == patient.id))

    assert unlink(clinician_client, patient, device.id).status_code == 303

    # At once: the row is gone with the unlinking, before any reminder falls due.
    db.session.expire_all()
    assert (
        db.session.scalar(select(PushSubscription).where(PushSubscription.device_id == device.id))
        is None
    )
    for_lost_phone = add_reminder(db, patient)
    for_other_phone = add_reminder(db, second_patient)
    with scheduler_running(push_app):
        wait_until(
            lambda: reminder_state(db, for_other_phone).state == "delivered",
            30,
            "the other patient's reminder",
        )
        wait_until(
            lambda: reminder_state(db, for_lost_phone).attempts >= 1, 30, "the lost phone's turn"
        )
    assert receiver.attempts(lost["endpoint"]) == []
    assert len(receiver.messages(other["endpoint"])) == 1
    reminder = reminder_state(db, for_lost_phone)
    assert (reminder.state, reminder.last_error) == (
        "pending",
        "No device has reminders turned on.",
    )


def test_the_sender_skips_a_subscription_left_behind_on_an_unlinked_phone(
    push_app, db, patient, receiver
):
    """However a row got there (restored from a backup, written by hand), it is not used."""
    device = add_device(db, patient)
    left_behind = subscribe(db, patient, receiver, device=device)
    device.revoked_at = utcnow()
    db.session.commit()
    reminder = add_reminder(db, patient)

    with scheduler_running(push_app):
        wait_until(lambda: reminder_state(db, reminder).attempts >= 1, 30, "the reminder's turn")

    assert receiver.attempts(left_behind.endpoint) == []
    assert db.session.scalar(select(func.count(Delivery.id))) == 0


def test_a_deleted_patient_leaves_no_subscription(
    push_app, db, phone, patient, admin_client, receiver
):
    turn_reminders_on(phone, receiver)
    page = admin_client.get(f"/clinic/patients/{patient.id}")
    response = admin_client.post(
        f"/clinic/admin/patients/{patient.id}/delete",
        data={"csrf_token": csrf_from(page.text), "confirm": patient.display_name},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(func.count(PushSubscription.id))) == 0


def test_a_phone_that_subscribes_again_replaces_its_subscription(
    push_app, db, phone, patient, receiver
):
    first = turn_reminders_on(phone, receiver)
    second = turn_reminders_on(phone, receiver)
    third = turn_reminders_on(phone, receiver)

    [kept] = db.session.scalars(select(PushSubscription)).all()
    assert kept.endpoint == third["endpoint"]
    reminder = add_reminder(db, patient)
    with scheduler_running(push_app):
        wait_until(lambda: reminder_state(db, reminder).state == "delivered", 30, "delivery")
    assert receiver.attempts(first["endpoint"]) == receiver.attempts(second["endpoint"]) == []
    [message] = receiver.messages(third["endpoint"])
    assert json.loads(message.payload)["tag"] == f"reminder-{reminder.id}"


def test_a_browser_linked_again_moves_its_subscription_to_the_new_phone_link(
    push_app, app, db, phone, patient, receiver
):
    subscription = turn_reminders_on(phone, receiver)
    again = app.test_client()
    assert enroll(again, enrollment_token(db, patient)).status_code == 303
    token = csrf_from(again.get("/check-in").text)
    response = again.post("/push/subscription", json=subscription, headers={"X-CSRFToken": token})
    assert response.status_code == 201
    [kept] = db.session.scalars(select(PushSubscription)).all()
    newest = db.session.scalar(select(Device).order_by(Device.id.desc()))
    assert kept.device_id == newest.id


def test_a_patient_has_at_most_the_configured_number_of_phones(app, db, patient, clinician_client):
    app.config["MAX_DEVICES"] = 2
    assert enroll(app.test_client(), enrollment_token(db, patient)).status_code == 303
    pending = enrollment_token(db, patient)  # made while there was room for one more
    add_device(db, patient)  # and then a second phone was linked
    links_before = db.session.scalar(select(func.count(EnrollmentLink.id)))

    # The clinic is told, and makes no link, until it unlinks a phone.
    page = clinician_client.get(f"/clinic/patients/{patient.id}")
    response = clinician_client.post(
        f"/clinic/patients/{patient.id}/enrollment-link",
        data={"csrf_token": csrf_from(page.text)},
        follow_redirects=True,
    )
    assert "already has 2 linked phones" in response.text
    assert db.session.scalar(select(func.count(EnrollmentLink.id))) == links_before

    # A link made earlier cannot add a third phone either, and stays unused.
    third = app.test_client()
    assert third.get(f"/enroll/{pending}").status_code == 409
    page = third.get(f"/enroll/{pending}")
    assert "Too many phones are linked" in page.text
    assert db.session.scalar(select(func.count(Device.id))) == 2

    oldest = db.session.scalar(select(Device).order_by(Device.id))
    assert unlink(clinician_client, patient, oldest.id).status_code == 303
    page = clinician_client.get(f"/clinic/patients/{patient.id}")
    response = clinician_client.post(
        f"/clinic/patients/{patient.id}/enrollment-link", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 200 and "Enrollment QR code" in response.text
