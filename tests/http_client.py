"""The people of the tests, over real HTTP to a real server (tests/servers.py): a linked phone,
a signed-in clinician or admin, and raw requests for what `requests` refuses to send."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass

import pyotp
import requests

from tests.conftest import PASSWORD, csrf_from
from tests.servers import Served

TIMEOUT_S = 15


def page_token(session: requests.Session, url: str, **kwargs: object) -> str:
    """The CSRF token of the form on a page."""
    response = session.get(url, timeout=TIMEOUT_S, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return csrf_from(response.text)


def linked_phone(served: Served, enrollment_token: str) -> requests.Session:
    """A browser that opened an enrollment link and linked itself."""
    phone = requests.Session()
    url = f"{served.url}/enroll/{enrollment_token}"
    response = phone.post(
        url, data={"csrf_token": page_token(phone, url)}, allow_redirects=False, timeout=TIMEOUT_S
    )
    assert response.status_code == 303, response.status_code
    return phone


def signed_in(served: Served, email: str, totp_secret: str | None = None) -> requests.Session:
    """A clinician's browser after signing in (with the authenticator's code when asked)."""
    browser = requests.Session()
    login = f"{served.url}/clinic/login"
    response = browser.post(
        login,
        data={"csrf_token": page_token(browser, login), "email": email, "password": PASSWORD},
        allow_redirects=False,
        timeout=TIMEOUT_S,
    )
    assert response.status_code == 302, response.status_code
    if response.headers["Location"].endswith("/login/verify"):
        assert totp_secret, "this clinician needs two-factor sign-in"
        verify = f"{served.url}/clinic/login/verify"
        code = pyotp.TOTP(totp_secret).now()
        data = {"csrf_token": page_token(browser, verify), "code": code}
        response = browser.post(verify, data=data, allow_redirects=False, timeout=TIMEOUT_S)
        assert response.status_code == 302, response.status_code
    return browser


def as_host(session: requests.Session, host: str) -> dict[str, str]:
    """Headers that send this browser's cookies with another Host header.

    `requests`, like a browser, picks cookies by the Host header it sends, so a request with a
    forged Host would otherwise arrive without its session, and be refused for that reason
    rather than for its host.
    """
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)
    return {"Host": host, "Cookie": cookies}


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


REFUSED = 0  # the status of a request the server hung up on before answering


def raw_request(served: Served, request: bytes) -> RawResponse:
    """Send bytes as they are (control characters and all) and read the whole answer.

    A server that refuses a request while reading its headers closes the connection with the
    body unread, and the operating system then resets it: what arrived before is the answer,
    and a reset before anything arrived is REFUSED (a server error is only ever sent after
    the app has read the request).
    """
    port = int(served.url.rsplit(":", 1)[1])
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as connection:
        try:
            connection.sendall(request)
            while chunk := connection.recv(65536):
                received += chunk
        except (ConnectionResetError, BrokenPipeError):
            if not received:
                return RawResponse(REFUSED, {}, b"")
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    match = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    assert match, f"no status line in {received[:200]!r}"
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawResponse(int(match.group(1)), headers, body)


def http_request(
    method: str,
    target: str,
    headers: dict[str, str] | list[tuple[str, str]],
    body: bytes = b"",
) -> bytes:
    """An HTTP/1.1 request as bytes, closing the connection after it."""
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers)
    names = {name.lower() for name, _ in pairs}
    if "host" not in names:
        pairs.insert(0, ("Host", "127.0.0.1"))
    pairs.append(("Connection", "close"))
    if body or method in {"POST", "PUT", "DELETE", "PATCH"}:
        pairs.append(("Content-Length", str(len(body))))
    lines = [f"{method} {target} HTTP/1.1".encode("latin-1", "replace")]
    lines += [f"{name}: {value}".encode("utf-8", "surrogateescape") for name, value in pairs]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
