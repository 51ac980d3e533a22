"""An admin's browser and a patient's phone, over real HTTP(S), as the install tests use them."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pyotp
import requests

from aftercare.models import utcnow
from tests.conftest import PASSWORD, csrf_from

HTTP_TIMEOUT_S = 10


def browser(root_certificate: str | None = None) -> requests.Session:
    """A browser that trusts `root_certificate` only (and nothing the environment names)."""
    session = requests.Session()
    session.trust_env = False
    if root_certificate:
        session.verify = root_certificate
    return session


@dataclass
class Admin:
    """The clinic's admin, signing in with a password and an authenticator app."""

    base: str
    email: str
    root_certificate: str | None = None
    totp: pyotp.TOTP | None = None
    http: requests.Session = field(init=False)

    def __post_init__(self) -> None:
        self.http = browser(self.root_certificate)

    def _password(self) -> requests.Response:
        self.http = browser(self.root_certificate)
        page = self.http.get(f"{self.base}/clinic/login", timeout=HTTP_TIMEOUT_S)
        assert page.status_code == 200, page.status_code
        form = {"csrf_token": csrf_from(page.text), "email": self.email, "password": PASSWORD}
        return self.http.post(f"{self.base}/clinic/login", data=form, timeout=HTTP_TIMEOUT_S)

    def first_sign_in(self) -> requests.Response:
        """Password, then setting up two-factor sign-in from the key the page shows."""
        signed = self._password()
        assert signed.url == f"{self.base}/clinic/security/two-factor", signed.url
        secret = re.search(r'<code class="break">([A-Z2-7]+)</code>', signed.text).group(1)
        self.totp = pyotp.TOTP(secret)
        codes = self.http.post(
            f"{self.base}/clinic/security/two-factor",
            data={"csrf_token": csrf_from(signed.text), "code": self.totp.now()},
            timeout=HTTP_TIMEOUT_S,
        )
        assert codes.status_code == 200 and "recovery" in codes.text.lower(), codes.text[:300]
        return codes

    def sign_in(self) -> None:
        """Password, then a code from the app; the next one, as each code is taken once."""
        assert self.totp is not None
        signed = self._password()
        assert signed.url == f"{self.base}/clinic/login/verify", signed.url
        code = self.totp.at(utcnow() + timedelta(seconds=30))
        verified = self.http.post(
            f"{self.base}/clinic/login/verify",
            data={"csrf_token": csrf_from(signed.text), "code": code},
            timeout=HTTP_TIMEOUT_S,
        )
        assert verified.url == f"{self.base}/clinic/", verified.text[:300]

    def new_patient(self, name: str, lands_on_link: bool = True) -> NewPatient:
        """Add a patient. This version lands on a page that says so and shows their enrollment
        link; an older one (`lands_on_link=False`) on their page, where a link is asked for."""
        page = self.http.get(f"{self.base}/clinic/patients/new", timeout=HTTP_TIMEOUT_S)
        created = self.http.post(
            f"{self.base}/clinic/patients/new",
            data={"csrf_token": csrf_from(page.text), "display_name": name},
            timeout=HTTP_TIMEOUT_S,
        )
        assert created.status_code == 200, created.text
        patient_url = re.match(rf"{re.escape(self.base)}/clinic/patients/\d+", created.url)
        assert patient_url, created.url
        patient = patient_url.group(0)
        if lands_on_link:
            assert created.url == f"{patient}/added", created.url
            assert f"Patient {html.escape(name)} added" in created.text, created.text
            return NewPatient(patient, enrollment_link_on(created.text))
        assert created.url == patient, created.url
        shown = self.http.post(
            f"{patient}/enrollment-link",
            data={"csrf_token": csrf_from(created.text)},
            timeout=HTTP_TIMEOUT_S,
        )
        return NewPatient(patient, enrollment_link_on(shown.text))


def enrollment_link_on(page: str) -> str:
    """The one-time enrollment link a clinician's page shows."""
    return re.search(r'<a [^>]*href="([^"]+/enroll/[^"]+)"', page).group(1)


@dataclass(frozen=True)
class NewPatient:
    """A patient just added: their page, and the enrollment link the clinician was shown."""

    url: str
    enrollment_link: str


class Phone:
    """A patient's phone, linked by an enrollment link."""

    def __init__(self, link: str, root_certificate: str | None = None) -> None:
        self.base = link.split("/enroll/")[0]
        self.http = browser(root_certificate)
        page = self.http.get(link, timeout=HTTP_TIMEOUT_S)
        linked = self.http.post(
            link,
            data={"csrf_token": csrf_from(page.text)},
            allow_redirects=False,
            timeout=HTTP_TIMEOUT_S,
        )
        assert linked.status_code == 303, linked.text

    @property
    def device_cookie(self) -> requests.cookies.Cookie:
        return next(cookie for cookie in self.http.cookies if cookie.name == "aftercare_device")

    def check_in(self, **answers: str) -> requests.Response:
        page = self.http.get(f"{self.base}/check-in", timeout=HTTP_TIMEOUT_S)
        assert page.status_code == 200, page.status_code
        key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page.text).group(1)
        return self.http.post(
            f"{self.base}/check-in",
            data={"csrf_token": csrf_from(page.text), "idempotency_key": key, **answers},
            headers={"Accept": "application/json"},
            timeout=HTTP_TIMEOUT_S,
        )
