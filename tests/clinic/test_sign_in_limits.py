"""Sign-in says nothing about which emails exist, stops guessing, and lets no stranger lock anyone
out: limits by account and address together, by address, and by account from new browsers."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator

import pytest
from werkzeug.security import generate_password_hash

from aftercare.clinic.passwords import UNUSABLE_HASH
from aftercare.clinic.throttle import address_key, wait_in_words
from aftercare.models import Clinician
from tests.clinic.http_browser import HttpBrowser
from tests.conftest import PASSWORD, add_clinician, csrf_from, sign_in
from tests.servers import serve_gunicorn, serve_waitress

OUTSIDER = "127.0.0.66"
CLINICIAN_AT_WORK = "127.0.0.10"


def client_at(app, address: str):  # noqa: ANN001, ANN201
    """A test client whose requests come from `address`."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.fixture
def scrypt_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, int, int]]]:
    """The cost (N, r, p) of every scrypt run while the test goes on: the work done."""
    calls: list[tuple[int, int, int]] = []
    real_scrypt = hashlib.scrypt

    def counted(password: bytes, **kwargs: int) -> bytes:
        calls.append((kwargs["n"], kwargs["r"], kwargs["p"]))
        return real_scrypt(password, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    yield calls


# --- The same work for known and unknown emails (finding 6) ------------------------------------


def test_a_wrong_password_costs_the_same_work_for_known_and_unknown_emails(
    app, db, clinician, scrypt_calls
):
    disabled = add_clinician(db, clinician.clinic, "gone@riverside.test")
    disabled.is_enabled = False
    invited = add_clinician(db, clinician.clinic, "new@riverside.test")
    invited.password_hash = ""
    db.session.commit()
    cases = {
        "known, wrong password": (clinician.email, "not the password"),
        "unknown email": ("nobody@riverside.test", "not the password"),
        "disabled account": (disabled.email, PASSWORD),
        "invited, no password yet": (invited.email, ""),
        "known, right password": (clinician.email, PASSWORD),
    }
    work = {}
    for case, (email, password) in cases.items():
        scrypt_calls.clear()
        response = sign_in(client_at(app, f"127.0.1.{len(work)}"), email, password or "x")
        assert response.status_code == (302 if case == "known, right password" else 401), case
        work[case] = list(scrypt_calls)
    real_cost = work["known, right password"]
    assert len(real_cost) == 1
    assert all(calls == real_cost for calls in work.values()), work


def test_the_stand_in_hash_costs_what_a_real_password_hash_costs():
    made = generate_password_hash("any password at all", method="scrypt")
    assert UNUSABLE_HASH.split("$")[0] == made.split("$")[0] == "scrypt:32768:8:1"
    clinician = Clinician()
    clinician.set_password("any password at all")
    assert clinician.password_hash.split("$")[0] == UNUSABLE_HASH.split("$")[0]


def test_the_answer_is_the_same_for_known_and_unknown_emails(app, clinician):
    known = sign_in(client_at(app, "127.0.1.1"), clinician.email, "not the password")
    unknown = sign_in(client_at(app, "127.0.1.2"), "nobody@riverside.test", "not the password")
    assert known.status_code == unknown.status_code == 401

    def page(response, email: str) -> str:  # noqa: ANN001
        return re.sub(r'name="csrf_token"[^>]*', "", response.text.replace(email, ""))

    assert page(known, clinician.email) == page(unknown, "nobody@riverside.test")
    assert sorted(known.headers.keys()) == sorted(unknown.headers.keys())


# --- No lock-out from elsewhere, and guessing still stops (finding 6) --------------------------


def test_an_outsiders_failures_do_not_lock_the_clinician_out(app, clinician):
    outsider = client_at(app, OUTSIDER)
    refused = [sign_in(outsider, clinician.email, f"guess {n}").status_code for n in range(30)]
    assert refused.count(401) == 5 and refused[5:] == [429] * 25

    at_work = client_at(app, CLINICIAN_AT_WORK)
    assert sign_in(at_work, clinician.email).status_code == 302
    assert at_work.get("/clinic/").status_code == 200


def test_guessing_stops_even_when_the_guess_is_right(app, clinician):
    outsider = client_at(app, OUTSIDER)
    for n in range(5):
        assert sign_in(outsider, clinician.email, f"guess {n}").status_code == 401
    right = sign_in(outsider, clinician.email, PASSWORD)
    assert right.status_code == 429
    assert outsider.get("/clinic/").status_code == 302


def test_the_wait_grows_with_more_failures(app, clinician, monkeypatch: pytest.MonkeyPatch):
    # The limits count in wall-clock time; the clock is moved on rather than waited for.
    clock = {"skipped": 0.0}
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + clock["skipped"])
    outsider = client_at(app, OUTSIDER)
    rounds = []
    # Each round: wait out the last refusal, then fail until refused again.
    for skip in (0, 61, 3601, 61):
        clock["skipped"] += skip
        failures = 0
        while (response := sign_in(outsider, clinician.email, "a guess")).status_code == 401:
            failures += 1
        assert response.status_code == 429
        rounds.append((failures, int(response.headers["Retry-After"])))
    (first, minute), (second, hour), (third, minute_again), (fourth, day) = rounds
    assert (first, second, third, fourth) == (5, 5, 5, 5)
    assert minute <= 60 and minute_again <= 60
    assert 60 < hour <= 3600
    assert 3600 < day <= 86400  # 20 failures: the rest of the day
    assert "Please wait 23 hours" in response.text or "Please wait 24 hours" in response.text


def test_one_address_cannot_try_a_password_on_every_account(app, clinician):
    sprayer = client_at(app, OUTSIDER)
    for n in range(30):
        assert sign_in(sprayer, f"person{n}@riverside.test", "Summer2024!!").status_code == 401
    assert sign_in(sprayer, clinician.email, "Summer2024!!").status_code == 429
    # The clinician at another address is not held back by it.
    assert sign_in(client_at(app, CLINICIAN_AT_WORK), clinician.email).status_code == 302


def test_many_addresses_get_50_guesses_a_day_and_the_clinicians_own_browser_still_gets_in(
    app, clinician
):
    own_browser = client_at(app, CLINICIAN_AT_WORK)
    assert sign_in(own_browser, clinician.email).status_code == 302
    own_browser.post(
        "/clinic/logout", data={"csrf_token": csrf_from(own_browser.get("/clinic/").text)}
    )

    for address in range(10):
        crowd = client_at(app, f"127.0.2.{address}")
        for n in range(5):
            assert sign_in(crowd, clinician.email, f"guess {address}.{n}").status_code == 401
    # A browser new to this account is refused, even with the right password, even from the
    # clinician's own address...
    assert sign_in(client_at(app, "127.0.3.1"), clinician.email).status_code == 429
    assert sign_in(client_at(app, CLINICIAN_AT_WORK), clinician.email).status_code == 429
    # ...and the clinician's own browser, which signed in before, is not.
    assert sign_in(own_browser, clinician.email).status_code == 302
    # Other accounts are not touched.
    other = add_clinician(app.extensions["sqlalchemy"], clinician.clinic, "other@riverside.test")
    assert sign_in(client_at(app, "127.0.3.2"), other.email).status_code == 302


def test_wrong_codes_are_limited_the_same_way(app, admin):
    outsider = client_at(app, OUTSIDER)
    sign_in(outsider, admin.email)  # an outsider who knows the password
    page = outsider.get("/clinic/login/verify")
    statuses = [
        outsider.post(
            "/clinic/login/verify", data={"csrf_token": csrf_from(page.text), "code": f"00000{n}"}
        ).status_code
        for n in range(7)
    ]
    assert statuses == [401] * 5 + [429] * 2
    # The admin, at work, still gets in with the app's code.
    from tests.conftest import sign_in_with_code

    assert sign_in_with_code(client_at(app, CLINICIAN_AT_WORK), admin).status_code == 302


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:127.0.0.9", "127.0.0.9"),
        ("not an address", "not an address"),
        (None, "unknown"),
    ],
)
def test_addresses_are_counted_per_client_and_ipv6_per_64(address, counted_as):
    assert address_key(address) == counted_as


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 minute"),
        (60, "1 minute"),
        (61, "2 minutes"),
        (3600, "60 minutes"),
        (86400, "24 hours"),
    ],
)
def test_the_wait_is_said_in_plain_words(seconds, words):
    assert wait_in_words(seconds) == words


# --- The same through a real server behind a proxy -------------------------------------------


@pytest.fixture(params=["waitress", "gunicorn"])
def behind_a_proxy(request: pytest.FixtureRequest, app, tmp_path):  # noqa: ANN001, ANN201
    """Each real server, told that one proxy in front says who the client is."""
    serve = serve_waitress if request.param == "waitress" else serve_gunicorn
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = {"AFTERCARE_PROXY_COUNT": "1"}
    with serve(url, tmp_path, tmp_path / f"{request.param}.log", env=env) as served:
        yield served


def test_through_a_real_server_an_outsider_does_not_lock_the_clinician_out(
    behind_a_proxy, clinician
):
    outsider = HttpBrowser(behind_a_proxy.url, address=OUTSIDER)
    statuses = [outsider.sign_in(clinician.email, f"guess {n}").status_code for n in range(12)]
    # Each gunicorn worker counts on its own unless AFTERCARE_RATELIMIT_STORAGE_URI names a
    # shared store: the outsider is stopped after 5 failures in each worker at most.
    assert 429 in statuses and statuses.count(401) <= 5 * 2
    at_work = HttpBrowser(behind_a_proxy.url, address=CLINICIAN_AT_WORK)
    assert at_work.sign_in(clinician.email).status_code == 302
    assert at_work.get("/clinic/").status_code == 200


def test_through_aftercare_run_guessing_stops_at_the_limit(app, tmp_path, clinician):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = {"AFTERCARE_PROXY_COUNT": "1"}
    with serve_waitress(url, tmp_path, tmp_path / "waitress.log", env=env) as served:
        outsider = HttpBrowser(served.url, address=OUTSIDER)
        statuses = [outsider.sign_in(clinician.email, f"guess {n}").status_code for n in range(5)]
        assert statuses == [401] * 5
        right = outsider.sign_in(clinician.email)
        assert right.status_code == 429 and int(right.headers["Retry-After"]) <= 60
        assert "Too many sign-in attempts" in right.text
