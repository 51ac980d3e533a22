"""Browser fixtures: Debian's Chromium, the real app on a local port, and phone-sized contexts."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from aftercare.extensions import db
from aftercare.models import EnrollmentLink, Patient
from aftercare.tokens import hash_token
from tests.conftest import make_app

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]

# Every wait in the browser tests is bounded by this, so a broken page fails instead of hanging.
WAIT_MS = 10_000
expect.set_options(timeout=WAIT_MS)

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "service_workers": "allow",
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


def wait_until(
    condition: Callable[[], Any], timeout: float = WAIT_MS / 1000, what: str = "the condition"
) -> Any:
    """Poll `condition` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


class _TrackedHandler(WSGIRequestHandler):
    """Notes each open connection, so that stopping the server can cut keep-alive ones too."""

    def setup(self) -> None:
        super().setup()
        self.server.connections.track(self.connection)  # type: ignore[attr-defined]

    def finish(self) -> None:
        self.server.connections.untrack(self.connection)  # type: ignore[attr-defined]
        super().finish()


def _cut(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):  # the other side may have closed it already
        connection.shutdown(socket.SHUT_RDWR)


class _Connections:
    """The server's open connections; once closed, a late one is cut as soon as it appears."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = False

    def track(self, connection: socket.socket) -> None:
        with self._lock:
            if not self._closed:
                self._open.add(connection)
                return
        _cut(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.discard(connection)

    def close_all(self) -> None:
        with self._lock:
            self._closed = True
            connections, self._open = self._open, set()
        for connection in connections:
            _cut(connection)


class LiveServer:
    """The app served on 127.0.0.1 in a thread; stop() makes it really unreachable."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.port = 0
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._connections = _Connections()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Listen again on the same port, so the phone's service worker keeps its origin."""
        assert self._server is None, "the server is already running"
        server = make_server(
            "127.0.0.1", self.port, self.app, threaded=True, request_handler=_TrackedHandler
        )
        self._connections = server.connections = _Connections()  # type: ignore[attr-defined]
        # Closing must not wait for the browser to drop its keep-alive connections.
        server.block_on_close = False  # type: ignore[attr-defined]
        self.port = server.server_port
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"live-server-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and cut every open connection: the phone now finds nothing there."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()  # returns once serve_forever has stopped accepting
        thread.join(timeout=5)
        assert not thread.is_alive(), "the live server did not stop"
        self._connections.close_all()
        self._server = self._thread = None


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def live_server_config() -> dict[str, Any]:
    """Settings laid over the live server's app; a test module overrides this to change them."""
    return {}


@pytest.fixture
def live_server(
    tmp_path: Path, database_url: str, live_server_config: dict[str, Any]
) -> Iterator[LiveServer]:
    server = LiveServer(make_app(tmp_path, database_url, **live_server_config))
    server.start()
    yield server
    server.stop()
    with server.app.app_context():
        db.engine.dispose()


@dataclass(frozen=True)
class Demo:
    """What `aftercare demo --json` printed, and the patient it made."""

    clinician_email: str
    clinician_password: str
    enrollment_url: str
    patient_id: int
    patient_name: str


@pytest.fixture
def demo(live_server: LiveServer) -> Demo:
    """A clinic, a clinician and a patient whose infusion ended an hour ago, made by the CLI."""
    result = live_server.app.test_cli_runner().invoke(
        args=["demo", "--json", "--base-url", live_server.url]
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    assert printed["enrollment_url"].startswith(f"{live_server.url}/enroll/")
    token = printed["enrollment_url"].rsplit("/", 1)[1]
    with live_server.app.app_context():
        patient = db.session.scalar(
            select(Patient)
            .join(EnrollmentLink)
            .where(EnrollmentLink.token_hash == hash_token(token))
        )
        assert patient is not None, "the printed link is not the new patient's"
        return Demo(
            printed["clinician_email"],
            printed["clinician_password"],
            printed["enrollment_url"],
            patient.id,
            patient.display_name,
        )


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[Callable[..., BrowserContext]]:
    """Make a fresh phone-sized browser context on the live server (closed after the test);
    keyword arguments (a locale...) go to Playwright's new_context."""
    contexts: list[BrowserContext] = []

    def new_phone(**options: Any) -> BrowserContext:
        context = browser.new_context(base_url=live_server.url, **PHONE, **options)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context

    yield new_phone
    for context in contexts:
        context.close()


@pytest.fixture
def desktop(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A desktop-sized context, as a clinician at the clinic would use."""
    context = browser.new_context(base_url=live_server.url, **DESKTOP)
    context.set_default_timeout(WAIT_MS)
    yield context
    context.close()


def enroll(page: Page, enrollment_url: str, link: str = "Link this phone") -> None:
    """Open the link and tap the button, as the patient does; ends on /today."""
    page.goto(enrollment_url)
    page.get_by_role("button", name=link).tap()
    page.wait_for_url("**/today")


def linked_phone(
    phone: Callable[..., BrowserContext],
    demo: Demo,
    locale: str = "en-US",
    link: str = "Link this phone",
) -> Page:
    """A new phone in this language, linked to the demo patient, on Today."""
    page = phone(locale=locale).new_page()
    enroll(page, demo.enrollment_url, link)
    return page


@pytest.fixture
def enrolled(phone: Callable[[], BrowserContext], demo: Demo) -> Page:
    """A page on a phone that has just been linked to the demo patient."""
    page = phone().new_page()
    enroll(page, demo.enrollment_url)
    return page
