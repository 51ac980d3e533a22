"""The local push receiver checks pushes as a real push service would, and can be told to fail."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from py_vapid import Vapid
from pywebpush import WebPusher, WebPushException, webpush

from tests.push_receiver import PushReceiver, b64url_encode

ROOT = Path(__file__).resolve().parents[1]
CONTACT = "mailto:ops@aftercare.test"
PAYLOAD = json.dumps({"title": "Check in", "body": "How are you feeling? ✓"}).encode()
HOUR = 60 * 60


def public_key_of(key: Vapid) -> str:
    """The key as a browser's applicationServerKey: base64url of the uncompressed point."""
    point = key.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url_encode(point)


def new_key() -> Vapid:
    """A fresh VAPID key pair."""
    key = Vapid()
    key.generate_keys()
    return key


@pytest.fixture(scope="module")
def app_key() -> Vapid:
    return new_key()


@pytest.fixture
def receiver(app_key: Vapid) -> Iterator[PushReceiver]:
    with PushReceiver(public_key_of(app_key)) as receiver:
        yield receiver


@pytest.fixture
def subscription(receiver: PushReceiver) -> dict[str, Any]:
    return receiver.new_subscription()


def push(
    origin: str, subscription: dict[str, Any], key: Vapid, data: bytes = PAYLOAD
) -> requests.Response:
    """Send through pywebpush, as the app does; return the response whatever its status."""
    try:
        return webpush(
            subscription_info=subscription,
            data=data,
            vapid_private_key=key,
            vapid_claims={"sub": CONTACT, "aud": origin},
            content_encoding="aes128gcm",
            ttl=60,
            headers={"Urgency": "high", "Topic": "r42"},
            timeout=5,
        )
    except WebPushException as error:
        return error.response


def signed_token(
    private_key: ec.EllipticCurvePrivateKey, claims: dict[str, Any], alg: str = "ES256"
) -> str:
    """A JWT signed without py_vapid, so a test can write any header and claims."""
    header = {"typ": "JWT", "alg": alg}
    signing_input = ".".join(b64url_encode(json.dumps(part).encode()) for part in (header, claims))
    r, s = utils.decode_dss_signature(
        private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    )
    return f"{signing_input}.{b64url_encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def good_claims(receiver: PushReceiver) -> dict[str, Any]:
    """Claims a real push service accepts."""
    return {"aud": receiver.origin, "exp": int(time.time()) + HOUR, "sub": CONTACT}


def authorization(token: str, key: Vapid) -> str:
    """The RFC 8292 header for a token, naming `key` as the sender's key."""
    return f"vapid t={token}, k={public_key_of(key)}"


def encrypt_for(subscription: dict[str, Any], payload: bytes = PAYLOAD) -> bytes:
    """Encrypt a payload for a subscription, as pywebpush does before sending."""
    return WebPusher(subscription).encode(payload, "aes128gcm")["body"]


def post(
    subscription: dict[str, Any],
    auth: str,
    body: bytes | None = None,
    headers: dict[str, str | None] | None = None,
    timeout: float = 5,
) -> requests.Response:
    """POST a hand-made push with good headers, except those the test overrides (None drops)."""
    sent = {"Authorization": auth, "Content-Encoding": "aes128gcm", "TTL": "60", **(headers or {})}
    return requests.post(
        subscription["endpoint"],
        data=encrypt_for(subscription) if body is None else body,
        headers={name: value for name, value in sent.items() if value is not None},
        timeout=timeout,
    )


def test_it_decrypts_a_good_push_to_the_exact_payload_and_records_its_headers(
    receiver: PushReceiver, subscription: dict[str, Any], app_key: Vapid
):
    response = push(receiver.origin, subscription, app_key)

    assert response.status_code == 201, response.text
    (message,) = receiver.wait_for(1, timeout=5)
    assert message.payload == PAYLOAD
    assert (message.ttl, message.urgency, message.topic) == (60, "high", "r42")
    assert message.endpoint == subscription["endpoint"]
    assert message.endpoint.endswith(f"/push/{message.subscription_id}")
    assert message.jwt_claims["aud"] == receiver.origin
    assert message.jwt_claims["sub"] == CONTACT
    assert [status for status, _ in receiver.attempts()] == [201]


Claims = Callable[[str, int], dict[str, Any]]


@pytest.mark.parametrize(
    ("claims", "status", "reason"),
    [
        pytest.param(lambda o, now: {}, 201, "", id="good claims"),
        pytest.param(lambda o, now: {"sub": "https://aftercare.test/ops"}, 201, "", id="https sub"),
        pytest.param(lambda o, now: {"aud": "http://127.0.0.1:1"}, 403, "aud", id="other origin"),
        pytest.param(lambda o, now: {"aud": f"{o}/"}, 403, "aud", id="aud with a path"),
        pytest.param(lambda o, now: {"exp": now + 25 * HOUR}, 403, "24 hours", id="exp 25 h"),
        pytest.param(lambda o, now: {"exp": now - 60}, 403, "expired", id="expired"),
        pytest.param(lambda o, now: {"exp": None}, 403, "exp", id="no exp"),
        pytest.param(lambda o, now: {"sub": "ops@aftercare.test"}, 403, "sub", id="bare sub"),
        pytest.param(lambda o, now: {"sub": None}, 403, "sub", id="no sub"),
    ],
)
def test_it_checks_the_token_claims(
    receiver: PushReceiver,
    subscription: dict[str, Any],
    app_key: Vapid,
    claims: Claims,
    status: int,
    reason: str,
):
    overrides = claims(receiver.origin, int(time.time()))
    written = {k: v for k, v in {**good_claims(receiver), **overrides}.items() if v is not None}

    response = post(
        subscription, authorization(signed_token(app_key.private_key, written), app_key)
    )

    assert response.status_code == status, response.text
    assert reason in response.text
    assert len(receiver.messages()) == (1 if status == 201 else 0)


def test_it_refuses_a_token_signed_by_another_key_that_names_the_app_key(
    receiver: PushReceiver, subscription: dict[str, Any], app_key: Vapid
):
    forged = signed_token(new_key().private_key, good_claims(receiver))

    response = post(subscription, authorization(forged, app_key))

    assert response.status_code == 403
    assert "signature" in response.text
    assert receiver.messages() == []


def test_it_refuses_a_token_that_is_not_es256(
    receiver: PushReceiver, subscription: dict[str, Any], app_key: Vapid
):
    token = signed_token(app_key.private_key, good_claims(receiver), alg="HS256")

    response = post(subscription, authorization(token, app_key))

    assert (response.status_code, response.text) == (403, "token alg must be ES256")


def test_it_refuses_a_sender_with_another_key(receiver: PushReceiver, subscription: dict[str, Any]):
    response = push(receiver.origin, subscription, new_key())

    assert response.status_code == 403
    assert "k is not" in response.text
    assert receiver.messages() == []


@pytest.mark.parametrize(
    "header", [None, "WebPush abc.def.ghi", "vapid t=abc.def.ghi", "vapid k=BAAA"]
)
def test_it_asks_for_vapid_when_it_is_missing_or_malformed(
    subscription: dict[str, Any], header: str | None
):
    response = post(subscription, header)  # type: ignore[arg-type]

    assert response.status_code == 401


def test_a_cached_token_is_still_checked_for_expiry(app_key: Vapid):
    now = [time.time()]
    with PushReceiver(public_key_of(app_key), clock=lambda: now[0]) as receiver:
        subscription = receiver.new_subscription()
        claims = {**good_claims(receiver), "exp": int(now[0]) + 60}
        auth = authorization(signed_token(app_key.private_key, claims), app_key)
        assert post(subscription, auth).status_code == 201

        now[0] += 120  # the same token, two minutes later
        response = post(subscription, auth)

    assert (response.status_code, response.text) == (403, "token expired")


@pytest.mark.parametrize(
    ("headers", "status", "reason"),
    [
        pytest.param({"Urgency": "very-low", "Topic": "A" * 32}, 201, "", id="good headers"),
        pytest.param({"TTL": "0"}, 201, "", id="TTL 0"),
        pytest.param({"TTL": None}, 400, "TTL", id="no TTL"),
        pytest.param({"TTL": "-1"}, 400, "TTL", id="negative TTL"),
        pytest.param({"TTL": "1.5"}, 400, "TTL", id="fractional TTL"),
        pytest.param({"Urgency": "urgent"}, 400, "Urgency", id="unknown urgency"),
        pytest.param({"Topic": "A" * 33}, 400, "Topic", id="long topic"),
        pytest.param({"Topic": "r+42"}, 400, "Topic", id="topic outside base64url"),
        pytest.param({"Content-Encoding": "aesgcm"}, 400, "aes128gcm", id="old encoding"),
        pytest.param({"Content-Encoding": None}, 400, "aes128gcm", id="no encoding"),
    ],
)
def test_it_checks_the_push_headers(
    receiver: PushReceiver,
    subscription: dict[str, Any],
    app_key: Vapid,
    headers: dict[str, str | None],
    status: int,
    reason: str,
):
    auth = authorization(signed_token(app_key.private_key, good_claims(receiver)), app_key)

    response = post(subscription, auth, headers=headers)

    assert response.status_code == status, response.text
    assert reason in response.text


@pytest.mark.parametrize(
    ("make_body", "status"),
    [
        pytest.param(lambda other: os.urandom(200), 400, id="garbage"),
        pytest.param(lambda other: b"", 400, id="empty"),
        pytest.param(encrypt_for, 400, id="encrypted for another subscription"),
        pytest.param(lambda other: os.urandom(4097), 413, id="over 4096 bytes"),
    ],
)
def test_it_refuses_a_body_it_cannot_take(
    receiver: PushReceiver,
    subscription: dict[str, Any],
    app_key: Vapid,
    make_body: Callable[[dict[str, Any]], bytes],
    status: int,
):
    auth = authorization(signed_token(app_key.private_key, good_claims(receiver)), app_key)

    response = post(subscription, auth, body=make_body(receiver.new_subscription()))

    assert response.status_code == status
    assert receiver.messages() == []
    assert [a.status for a in receiver.refusals()] == [status]


def test_an_unknown_subscription_gets_404(receiver: PushReceiver, app_key: Vapid):
    subscription = receiver.new_subscription()
    unknown = {**subscription, "endpoint": f"{receiver.origin}/push/never-made"}

    response = push(receiver.origin, unknown, app_key)

    assert response.status_code == 404
    assert receiver.refusals()[0].reason == "no such subscription"


def test_a_scripted_503_comes_before_the_201(
    receiver: PushReceiver, subscription: dict[str, Any], app_key: Vapid
):
    receiver.script(subscription["endpoint"], [503, 201])

    statuses = [push(receiver.origin, subscription, app_key).status_code for _ in range(3)]

    assert statuses == [503, 201, 201]
    assert [status for status, _ in receiver.attempts()] == [503, 201, 201]
    assert len(receiver.messages()) == 2
    assert receiver.refusals() == []  # scripted answers are not the sender's fault


@pytest.mark.parametrize("answer", [("429", 7), {"status": 429, "retry_after": 7}])
def test_a_scripted_429_carries_retry_after(
    receiver: PushReceiver, subscription: dict[str, Any], app_key: Vapid, answer: object
):
    receiver.script(subscription["endpoint"].rsplit("/", 1)[-1], [answer])

    response = push(receiver.origin, subscription, app_key)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert receiver.messages() == []


def test_410_means_the_subscription_is_gone_for_good(
    receiver: PushReceiver, subscription: dict[str, Any], app_key: Vapid
):
    receiver.script(subscription["endpoint"], [410])

    statuses = [push(receiver.origin, subscription, app_key).status_code for _ in range(2)]

    assert statuses == [410, 410]
    assert receiver.messages() == []


def test_a_default_script_answers_any_subscription(receiver: PushReceiver, app_key: Vapid):
    first, second = receiver.new_subscription(), receiver.new_subscription()
    receiver.script(None, [500])

    assert push(receiver.origin, second, app_key).status_code == 500
    assert push(receiver.origin, first, app_key).status_code == 201


def test_scripting_an_unknown_subscription_is_an_error(receiver: PushReceiver):
    with pytest.raises(KeyError):
        receiver.script(f"{receiver.origin}/push/never-made", [503])


def test_a_hanging_push_makes_the_client_time_out(
    receiver: PushReceiver, subscription: dict[str, Any], app_key: Vapid
):
    receiver.script(subscription["endpoint"], ["hang"])
    auth = authorization(signed_token(app_key.private_key, good_claims(receiver)), app_key)

    with pytest.raises(requests.exceptions.ReadTimeout):
        post(subscription, auth, timeout=1)

    assert [status for status, _ in receiver.attempts()] == [0]
    assert post(subscription, auth).status_code == 201  # only the scripted push hung


def test_queries_filter_by_endpoint(receiver: PushReceiver, app_key: Vapid):
    first, second = receiver.new_subscription(), receiver.new_subscription()
    receiver.script(second["endpoint"], [503])
    for subscription in (first, second, second):
        push(receiver.origin, subscription, app_key)

    assert [m.endpoint for m in receiver.messages(first["endpoint"])] == [first["endpoint"]]
    assert [status for status, _ in receiver.attempts(second["endpoint"])] == [503, 201]
    assert len(receiver.wait_for(2, timeout=5)) == 2


def test_wait_for_gives_up_after_its_timeout(receiver: PushReceiver):
    with pytest.raises(TimeoutError, match="0 of 1 pushes"):
        receiver.wait_for(1, timeout=0.2)


def test_clear_forgets_messages_but_keeps_subscriptions(
    receiver: PushReceiver, subscription: dict[str, Any], app_key: Vapid
):
    push(receiver.origin, subscription, app_key)

    receiver.clear()

    assert (receiver.messages(), receiver.attempts()) == ([], [])
    assert push(receiver.origin, subscription, app_key).status_code == 201


def wait_for_file(path: Path, process: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
    """Wait for the receiver process to write its subscriptions file."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, f"the receiver exited with {process.returncode}"
        assert time.monotonic() < deadline, f"no {path.name} after {timeout} s"
        time.sleep(0.05)
    return json.loads(path.read_text())


def test_the_command_line_mode_serves_a_benchmark_until_sigterm(tmp_path: Path, app_key: Vapid):
    out = tmp_path / "subscriptions.json"
    command = [sys.executable, "-m", "tests.push_receiver", "--vapid-public-key"]
    command += [public_key_of(app_key), "--port", "0", "--subscriptions", "3", "--out", str(out)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
    try:
        written = wait_for_file(out, process, timeout=20)
        assert len(written["subscriptions"]) == 3

        assert push(written["origin"], written["subscriptions"][0], app_key).status_code == 201
        stats = requests.get(f"{written['origin']}/_stats", timeout=5).json()
        assert (stats["received"], stats["attempts"], stats["failures"]) == (1, 1, 0)
        assert stats["first_at"] == stats["last_at"]

        assert requests.post(f"{written['origin']}/_reset", timeout=5).status_code == 204
        assert requests.get(f"{written['origin']}/_stats", timeout=5).json()["received"] == 0

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
    assert [path.name for path in tmp_path.iterdir()] == [out.name]  # no temporary left behind
