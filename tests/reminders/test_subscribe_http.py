"""Finding 4, at the door: `POST /push/subscription` refuses endpoints that point into the
server's own network, over real HTTP to `aftercare run` (waitress), with a reason the page can
show; and at sending, a stored one is never connected to."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import func, select

from aftercare.models import Delivery, PushSubscription
from tests.conftest import csrf_from, enrollment_token
from tests.push_receiver import PushReceiver
from tests.reminders.conftest import add_reminder, scheduler_running, wait_until
from tests.reminders.test_hostile import hostile_subscription
from tests.servers import Served, serve_waitress

# The endpoints, and the other spellings of the same places.
REFUSED = {
    "https://127.0.0.1:22/": "ip_address",
    "https://localhost:6379/x": "port",
    "https://169.254.169.254/latest/meta-data/": "ip_address",
    "https://10.0.0.1/": "ip_address",
    "https://0x7f000001/": "ip_address",
    "https://2130706433/": "ip_address",
    "https://[::1]:18443/v6": "ip_address",
    "https://[::ffff:127.0.0.1]/x": "ip_address",
    "https://push.invalid:x/v": "port",
    "https://u:p@fcm.googleapis.com/x": "user_info",
    "https://fcm.googleapis.com:8443/x": "port",
    "http://fcm.googleapis.com/x": "scheme",
    "https://evil.example/x": "not_allowed",
    # Allowed by name in this test, but the name resolves to this machine (real DNS: the
    # system's resolver, /etc/hosts).
    "https://localhost/x": "private_address",
}


@pytest.fixture
def served(app, tmp_path) -> Iterator[Served]:  # noqa: ANN001
    """`aftercare run`, with localhost on its list of push services (see above)."""
    env = {"AFTERCARE_PUSH_SERVICES": "fcm.googleapis.com,localhost"}
    with serve_waitress(
        app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, tmp_path / "waitress.log", env=env
    ) as served:
        yield served


def enrolled_phone(base: str, token: str) -> tuple[requests.Session, str]:
    """A phone linked over HTTP: its session (cookie) and a CSRF token for its requests."""
    phone = requests.Session()
    page = phone.get(f"{base}/enroll/{token}", timeout=10)
    linked = phone.post(
        f"{base}/enroll/{token}", data={"csrf_token": csrf_from(page.text)}, timeout=10
    )
    assert linked.status_code == 200, linked.status_code
    return phone, csrf_from(phone.get(f"{base}/check-in", timeout=10).text)


def test_endpoints_into_the_servers_network_are_refused_with_a_reason(
    served, db, patient, receiver_keys
):
    phone, csrf = enrolled_phone(served.url, enrollment_token(db, patient))
    answers = {}
    for endpoint in REFUSED:
        response = phone.post(
            f"{served.url}/push/subscription",
            json={"endpoint": endpoint, "keys": receiver_keys},
            headers={"X-CSRFToken": csrf, "Accept": "application/json"},
            timeout=30,
        )
        assert response.status_code == 422, (endpoint, response.status_code, response.text)
        answers[endpoint] = response.json()
    assert {endpoint: answer["reason"] for endpoint, answer in answers.items()} == REFUSED
    for answer in answers.values():
        assert answer["error"] == "invalid_subscription"
        assert answer["message"].startswith("Aftercare cannot send reminders through")
    assert db.session.scalar(select(func.count(PushSubscription.id))) == 0


@pytest.fixture
def receiver_keys(app) -> dict[str, str]:  # noqa: ANN001
    """Well-formed keys, so that only the endpoint is in question."""
    from aftercare.reminders.push_subscriptions import vapid_public_key

    with PushReceiver(vapid_public_key(app)) as receiver:
        return receiver.new_subscription()["keys"]


class Listener:
    """A TCP port on this machine that counts who connects to it (a stand-in for a database
    or a metadata service the sender must never reach)."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.socket.close()


def test_a_stored_endpoint_into_the_servers_network_is_never_connected_to(app, db, clinic):
    """Rows stored before the rules (or by hand) are checked again at sending."""
    from tests.conftest import add_patient

    app.config["PUSH_TIMEOUT_SECONDS"] = 2
    with Listener() as inside:
        reminders = []
        for n, endpoint in enumerate(
            [
                f"https://127.0.0.1:{inside.port}/",
                f"https://localhost:{inside.port}/x",
                f"https://0x7f000001:{inside.port}/",
                f"https://[::ffff:127.0.0.1]:{inside.port}/",
            ]
        ):
            patient = add_patient(db, clinic, f"Patient {n}")
            hostile_subscription(db, patient, endpoint)
            reminders.append(add_reminder(db, patient).id)
        with scheduler_running(app):
            wait_until(
                lambda: db.session.scalar(select(func.count(Delivery.id))) == len(reminders),
                30,
                "every attempt recorded",
            )
        assert inside.connections == 0
    db.session.expire_all()
    for subscription in db.session.scalars(select(PushSubscription)):
        assert subscription.disabled_at is not None
        assert subscription.disabled_reason.startswith("refused: ")
