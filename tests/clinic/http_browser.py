"""A browser over real HTTP (requests, with its cookie jar) for tests against a real server."""

from __future__ import annotations

from urllib.parse import urlsplit

import pyotp
import requests

from aftercare.models import Clinician
from tests.conftest import PASSWORD, csrf_from

TIMEOUT_S = 10


class HttpBrowser:
    """One browser: its own cookies, and optionally the address a proxy says it comes from."""

    def __init__(self, base_url: str, address: str | None = None, user_agent: str = "") -> None:
        self.base_url = base_url
        self.http = requests.Session()
        if address:
            self.http.headers["X-Forwarded-For"] = address
        if user_agent:
            self.http.headers["User-Agent"] = user_agent

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base_url + path, allow_redirects=False, timeout=TIMEOUT_S)

    def submit(self, form_page: str, data: dict[str, str], action: str | None = None):  # noqa: ANN201
        """Open the page, then post its form (with its CSRF token) to `action` or the page."""
        page = self.get(form_page)
        assert page.status_code == 200, (form_page, page.status_code)
        return self.http.post(
            self.base_url + (action or form_page),
            data={"csrf_token": csrf_from(page.text), **data},
            allow_redirects=False,
            timeout=TIMEOUT_S,
        )

    def sign_in(self, email: str, password: str = PASSWORD) -> requests.Response:
        return self.submit("/clinic/login", {"email": email, "password": password})

    def sign_in_with_code(self, person: Clinician, secret: str) -> requests.Response:
        response = self.sign_in(person.email)
        assert response.headers["Location"].endswith("/clinic/login/verify"), response.status_code
        return self.submit("/clinic/login/verify", {"code": pyotp.TOTP(secret).now()})

    def cookies(self) -> dict[str, str]:
        """What a thief would copy from this browser."""
        return self.http.cookies.get_dict()


def replay(base_url: str, cookies: dict[str, str], path: str = "/clinic/") -> requests.Response:
    """A request from somewhere else carrying a copy of the cookies."""
    return requests.get(base_url + path, cookies=cookies, allow_redirects=False, timeout=TIMEOUT_S)


def is_sent_to_sign_in(base_url: str, response: requests.Response) -> bool:
    """The response sends the browser to the sign-in page (and the page is the sign-in form)."""
    if response.status_code != 302:
        return False
    if urlsplit(response.headers["Location"]).path != "/clinic/login":
        return False
    page = requests.get(base_url + "/clinic/login", timeout=TIMEOUT_S)
    return page.status_code == 200 and "Clinic sign-in" in page.text
