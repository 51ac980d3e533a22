"""Whether a subscribed phone runs Aftercare as the installed Home Screen app: sent with the
subscription and again when it changes (`PATCH /push/subscription`), over real HTTP to
`aftercare run`; anything but true or false is refused and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import select

from aftercare.models import PushSubscription
from aftercare.reminders.push_subscriptions import vapid_public_key
from tests.conftest import enrollment_token
from tests.push_receiver import PushReceiver
from tests.reminders.test_subscribe_http import enrolled_phone

# The local push receiver speaks plain HTTP on loopback.
LOOPBACK_PUSH = {"AFTERCARE_PUSH_ALLOW_LOOPBACK_HTTP": "1"}
JUNK = [
    {"installed": "true"},
    {"installed": 1},
    {"installed": None},
    {"installed": [True]},
    {},
    [True],
    "true",
]


@pytest.fixture
def receiver(app) -> Iterator[PushReceiver]:  # noqa: ANN001
    with PushReceiver(vapid_public_key(app)) as receiver:
        yield receiver


def stored(db) -> list[tuple[str, bool | None, bool]]:  # noqa: ANN001
    """Each subscription's endpoint, what it said about running installed, and whether a time
    goes with that."""
    db.session.rollback()  # read what the server committed
    return [
        (row.endpoint, row.installed, row.installed_seen_at is not None)
        for row in db.session.scalars(select(PushSubscription))
    ]


def send(phone: requests.Session, method: str, url: str, csrf: str, body: object):  # noqa: ANN201
    return phone.request(
        method,
        f"{url}/push/subscription",
        json=body,
        headers={"X-CSRFToken": csrf, "Accept": "application/json"},
        timeout=30,
    )


@pytest.mark.parametrize("server_env", [LOOPBACK_PUSH])
def test_the_phone_says_whether_it_runs_installed_and_junk_changes_nothing(
    waitress, db, patient, receiver
):
    phone, csrf = enrolled_phone(waitress.url, enrollment_token(db, patient))
    subscription = receiver.new_subscription()

    answer = send(phone, "POST", waitress.url, csrf, {**subscription, "installed": True})
    assert answer.status_code == 201, answer.text
    assert stored(db) == [(subscription["endpoint"], True, True)]

    # Opened later from a browser tab: only the change is sent.
    answer = send(phone, "PATCH", waitress.url, csrf, {"installed": False})
    assert (answer.status_code, answer.json()) == (200, {"installed": False})
    assert stored(db) == [(subscription["endpoint"], False, True)]

    for body in JUNK:
        answer = send(phone, "PATCH", waitress.url, csrf, body)
        assert answer.status_code == 422, (body, answer.status_code)
        assert answer.json()["error"] == "invalid_subscription"
        # Nor may a new subscription come with junk: the one kept stays.
        fresh = receiver.new_subscription()
        if isinstance(body, dict):
            answer = send(phone, "POST", waitress.url, csrf, {**fresh, **body})
            assert answer.status_code == (201 if body == {} else 422), (body, answer.text)
            if body == {}:
                # An older page, which does not say: unknown, not a guess.
                assert stored(db) == [(fresh["endpoint"], None, False)]
                assert send(phone, "PATCH", waitress.url, csrf, {"installed": False}).ok
                subscription = fresh
        assert stored(db) == [(subscription["endpoint"], False, True)]

    # Without the page's CSRF token nothing changes either.
    answer = send(phone, "PATCH", waitress.url, "", {"installed": True})
    assert answer.status_code == 400
    assert stored(db) == [(subscription["endpoint"], False, True)]


@pytest.mark.parametrize("server_env", [LOOPBACK_PUSH])
def test_a_phone_with_reminders_off_has_nothing_to_update(waitress, db, patient, receiver):
    phone, csrf = enrolled_phone(waitress.url, enrollment_token(db, patient))
    answer = send(phone, "PATCH", waitress.url, csrf, {"installed": True})
    assert answer.status_code == 404
    assert answer.json()["error"] == "no_subscription"

    subscription = receiver.new_subscription()
    assert send(phone, "POST", waitress.url, csrf, {**subscription, "installed": True}).ok
    assert send(phone, "DELETE", waitress.url, csrf, {"endpoint": subscription["endpoint"]}).ok
    assert send(phone, "PATCH", waitress.url, csrf, {"installed": False}).status_code == 404
    assert stored(db) == []
