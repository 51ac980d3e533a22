"""A push service's name is resolved, and its addresses checked, when the phone subscribes and
again at each connection; the connection goes to the addresses checked (no DNS rebinding)."""

from __future__ import annotations

import socket

from aiohttp.abc import AbstractResolver
from sqlalchemy import select

from aftercare.models import Delivery, PushSubscription, Reminder
from aftercare.reminders.push_subscriptions import vapid_public_key
from tests.conftest import csrf_from
from tests.push_receiver import PushReceiver
from tests.reminders.conftest import (
    add_reminder,
    allow_services,
    scheduler_running,
    subscribe,
    use_hosts,
    wait_until,
)

PUBLIC = "93.184.215.14"


def post(phone, body: dict):  # noqa: ANN001, ANN201
    token = csrf_from(phone.client.get("/check-in").text)
    return phone.client.post("/push/subscription", json=body, headers={"X-CSRFToken": token})


def keys_from(app) -> dict[str, str]:  # noqa: ANN001
    with PushReceiver(vapid_public_key(app)) as receiver:
        return receiver.new_subscription()["keys"]


def test_a_push_service_name_that_resolves_inside_is_refused_at_subscribing(app, db, phone):
    allow_services(app, "push.example.test")
    use_hosts(app, {"push.example.test": [PUBLIC, "192.168.1.20"]})
    response = post(phone, {"endpoint": "https://push.example.test/x", "keys": keys_from(app)})
    assert response.status_code == 422
    assert response.json["reason"] == "private_address"
    assert "192.168.1.20" in response.json["detail"]
    assert db.session.scalar(select(PushSubscription)) is None


class DnsDown(AbstractResolver):
    async def resolve(self, host, port=0, family=socket.AF_INET):  # noqa: ANN001, ANN201
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    async def close(self) -> None:
        pass


def test_a_push_service_that_cannot_be_looked_up_just_now_is_a_503_to_try_again(app, db, phone):
    allow_services(app, "push.example.test")
    app.extensions["aftercare.push_resolver"] = DnsDown
    response = post(phone, {"endpoint": "https://push.example.test/x", "keys": keys_from(app)})
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "try again" in response.json["message"]
    assert db.session.scalar(select(PushSubscription)) is None


def test_a_name_that_answers_differently_at_sending_is_refused_then(app, db, phone, patient):
    """DNS rebinding: public when the phone subscribed, inside the network at sending."""
    allow_services(app, "push.example.test")
    hosts = use_hosts(app, {"push.example.test": [[PUBLIC], ["10.0.0.5"]]})
    endpoint = "https://push.example.test/x"
    assert post(phone, {"endpoint": endpoint, "keys": keys_from(app)}).status_code == 201
    reminder = add_reminder(db, patient)

    with scheduler_running(app):
        wait_until(lambda: db.session.scalar(select(Delivery)), 30, "the attempt recorded")

    db.session.expire_all()
    delivery = db.session.scalar(select(Delivery))
    assert delivery.outcome == "failed"
    assert (
        delivery.error
        == "refused: push.example.test resolves to 10.0.0.5, which is not a public address"
    )
    assert db.session.get(Reminder, reminder.id).state == "failed"
    subscription = db.session.scalar(select(PushSubscription))
    assert subscription.disabled_at is not None
    assert hosts.lookups == ["push.example.test", "push.example.test"]


def test_the_sender_connects_to_the_address_it_checked(push_app, db, patient):
    """The sender resolves through the checking resolver, once, and connects to what it gave:
    here 127.0.0.2, where the receiver listens, though the system would say 127.0.0.1."""
    with PushReceiver(vapid_public_key(push_app), host="127.0.0.2") as receiver:
        subscription = subscribe(db, patient, receiver)
        subscription.endpoint = subscription.endpoint.replace("127.0.0.2", "localhost")
        db.session.commit()
        hosts = use_hosts(push_app, {"localhost": ["127.0.0.2"]})
        reminder = add_reminder(db, patient)

        with scheduler_running(push_app):
            wait_until(lambda: receiver.attempts(), 30, "the push to arrive")
            wait_until(lambda: db.session.scalar(select(Delivery)), 30, "the attempt recorded")

    assert hosts.lookups == ["localhost"]
    # It reached the receiver, which refused it only for its audience: the token names
    # http://localhost:port, the origin the phone was given.
    [refusal] = receiver.refusals()
    assert refusal.status == 403 and "aud" in refusal.reason
    delivery = db.session.scalar(select(Delivery).where(Delivery.reminder_id == reminder.id))
    assert delivery.status_code == 403
