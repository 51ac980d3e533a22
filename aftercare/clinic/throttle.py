"""Limits on failed sign-in attempts that stop guessing without letting a stranger lock anyone out.

Failures are counted, in Flask-Limiter's storage (AFTERCARE_RATELIMIT_STORAGE_URI, shared by
every worker when it names a shared store), under three keys:

- the account and the address together, with waits that grow: after 5 failures within a
  minute, the rest of that minute; after 10 within an hour, the rest of that hour; after 20
  within a day, the rest of that day. A stranger's failures at another address never count
  against the clinician's own.
- the address alone, whatever the account: 30 an hour, 100 a day. It stops one address from
  trying a common password on every account.
- the account alone, from browsers that have not signed in to it before: 50 a day, however
  many addresses they come from. Browsers where the clinician has signed in carry a signed
  cookie saying so, and are not held back by this one; so a crowd of addresses cannot guess
  at an account faster than 50 a day, and the clinician's own browsers still get in.

The same limits, counted apart, apply to the two-factor code.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import time
from dataclasses import dataclass

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse_many
from werkzeug.wrappers import Response

from ..extensions import limiter

ACCOUNT_AT_ADDRESS = tuple(parse_many("5 per minute; 10 per hour; 20 per day"))
ADDRESS = tuple(parse_many("30 per hour; 100 per day"))
ACCOUNT_FROM_NEW_BROWSERS = tuple(parse_many("50 per day"))

KNOWN_BROWSER_COOKIE = "aftercare_known_browser"
KNOWN_BROWSER_DAYS = 180
# A shared workstation remembers this many of the clinicians who signed in on it.
KNOWN_ACCOUNTS_KEPT = 12


def account_key(email: str) -> str:
    """A keyed hash of an email address: counters and cookies name no one in the clear."""
    secret = current_app.config["SECRET_KEY"].encode()
    normalised = email.strip().lower().encode()
    return hmac.new(secret, b"sign-in:" + normalised, hashlib.sha256).hexdigest()[:32]


def address_key(address: str | None) -> str:
    """The client's address as counted: an IPv6 client is its /64, which one household holds."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "unknown")[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-browser")


def _known_accounts() -> list[str]:
    raw = request.cookies.get(KNOWN_BROWSER_COOKIE, "")
    if not raw:
        return []
    try:
        accounts = _serializer().loads(raw, max_age=KNOWN_BROWSER_DAYS * 86400)
    except BadSignature:
        return []
    return [a for a in accounts if isinstance(a, str)] if isinstance(accounts, list) else []


def remember_browser(response: Response, email: str) -> None:
    """Mark this browser as one the clinician signs in on (after a full, successful sign-in)."""
    account = account_key(email)
    accounts = [account] + [a for a in _known_accounts() if a != account]
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        _serializer().dumps(accounts[:KNOWN_ACCOUNTS_KEPT]),
        max_age=KNOWN_BROWSER_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["HTTPS"],
        path="/clinic",
    )


@dataclass(frozen=True)
class Attempt:
    """One try at a sign-in step ("password" or "code") for an account, from this request."""

    step: str
    account: str
    address: str
    known_browser: bool

    @classmethod
    def now(cls, step: str, email: str) -> Attempt:
        account = account_key(email)
        return cls(step, account, address_key(request.remote_addr), account in _known_accounts())

    def counters(self) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        """Each limit that applies, with the key it is counted under."""
        pairs = [
            (item, ("sign-in", self.step, "account-address", self.account, self.address))
            for item in ACCOUNT_AT_ADDRESS
        ]
        pairs += [(item, ("sign-in", self.step, "address", self.address)) for item in ADDRESS]
        if not self.known_browser:
            pairs += [
                (item, ("sign-in", self.step, "account", self.account))
                for item in ACCOUNT_FROM_NEW_BROWSERS
            ]
        return pairs


def seconds_to_wait(attempt: Attempt) -> int:
    """0 if the attempt may go ahead; else how long until every limit it met has passed."""
    if not limiter.enabled:
        return 0
    strategy = limiter.limiter
    waits = [
        strategy.get_window_stats(item, *key).reset_time - time.time()
        for item, key in attempt.counters()
        if not strategy.test(item, *key)
    ]
    return max(1, math.ceil(max(waits))) if waits else 0


def record_failure(attempt: Attempt) -> None:
    if not limiter.enabled:
        return
    strategy = limiter.limiter
    for item, key in attempt.counters():
        strategy.hit(item, *key)


def record_success(attempt: Attempt) -> None:
    """A right answer clears the account's failures from this address (not the others)."""
    if not limiter.enabled:
        return
    strategy = limiter.limiter
    key = ("sign-in", attempt.step, "account-address", attempt.account, attempt.address)
    for item in ACCOUNT_AT_ADDRESS:
        strategy.clear(item, *key)


def wait_in_words(seconds: int) -> str:
    """'1 minute', '12 minutes', '3 hours': how long a person is asked to wait."""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes < 120:
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    return f"{math.ceil(minutes / 60)} hours"
