"""A local Web Push service that checks VAPID and decrypts payloads as a real one would.

Tests run it in-process (`PushReceiver`); benchmarks run it as its own process:

    python -m tests.push_receiver --vapid-public-key KEY --subscriptions 100 --out subs.json
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

MAX_PAYLOAD = 4096  # RFC 8030 section 7.2: the least a service must take, so senders stay under it
MAX_TOKEN_LIFETIME = 24 * 60 * 60  # RFC 8292 section 2: exp no more than 24 hours from now
URGENCIES = frozenset({"very-low", "low", "normal", "high"})
GONE = frozenset({404, 410})
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")
_TOKEN_CACHE_LIMIT = 10_000

Clock = Callable[[], float]


def b64url_encode(data: bytes) -> str:
    """Encode bytes as unpadded base64url, as Web Push keys are written."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding; raise ValueError on anything else."""
    text = text.rstrip("=")
    # urlsafe_b64decode silently skips foreign characters; a real service would not.
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """Load a base64url uncompressed P-256 point (a browser's applicationServerKey)."""
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(text))


@dataclass(frozen=True, slots=True)
class Received:
    """A push the receiver accepted (answered 201), with its decrypted payload."""

    subscription_id: str
    endpoint: str
    payload: bytes
    ttl: int
    urgency: str | None
    topic: str | None
    jwt_claims: dict[str, Any]
    at: float


@dataclass(frozen=True, slots=True)
class Attempt:
    """One request and its answer; status 0 means it was left hanging."""

    endpoint: str
    status: int
    reason: str
    refused: bool  # the receiver's own checks refused it, rather than a scripted answer
    at: float


@dataclass(frozen=True, slots=True)
class Answer:
    """A scripted answer: a status, perhaps a Retry-After, or no answer at all."""

    status: int
    retry_after: int | None = None
    hang: bool = False

    @classmethod
    def parse(cls, entry: object) -> Answer:
        """Read 503, "503", ("429", 2), {"status": 429, "retry_after": 2} or "hang"."""
        if entry == "hang":
            return cls(0, hang=True)
        if isinstance(entry, dict):
            retry = entry.get("retry_after")
            return cls(int(entry["status"]), None if retry is None else int(retry))
        if isinstance(entry, tuple):
            status, retry = entry
            return cls(int(status), int(retry))
        if isinstance(entry, int | str):
            return cls(int(entry))
        raise ValueError(f"cannot script an answer from {entry!r}")


ACCEPTED = Answer(201)


class Refused(Exception):
    """The receiver's checks refused a push; carries the status and a short reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Subscription:
    """A browser's side of a subscription: its ECDH key and auth secret."""

    id: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    def as_json(self) -> dict[str, Any]:
        """The JSON a browser's PushSubscription.toJSON() would give the app."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        keys = {"p256dh": b64url_encode(point), "auth": b64url_encode(self.auth)}
        return {"endpoint": self.endpoint, "keys": keys}


def parse_vapid_header(value: str | None) -> tuple[str, str]:
    """Split `vapid t=<JWT>, k=<key>` into (token, key); 401 if absent or malformed."""
    if not value:
        raise Refused(401, "missing Authorization")
    scheme, _, params = value.partition(" ")
    if scheme.lower() != "vapid":
        raise Refused(401, "Authorization scheme must be vapid")
    fields: dict[str, str] = {}
    for item in params.split(","):
        name, _, field_value = item.strip().partition("=")
        fields[name.strip().lower()] = field_value.strip()
    token, key = fields.get("t"), fields.get("k")
    if not token or not key:
        raise Refused(401, "Authorization needs t= and k=")
    return token, key


class VapidChecker:
    """Checks RFC 8292 VAPID tokens for one application key and one audience."""

    def __init__(self, public_key: str, audience: str) -> None:
        self._key_text = public_key.rstrip("=")
        self._key = load_public_key(public_key)
        self.audience = audience
        # A well-behaved sender reuses its token for hours, so verify each one once.
        self._verified: dict[str, dict[str, Any]] = {}

    def claims(self, authorization: str | None, now: float) -> dict[str, Any]:
        """Return the token's claims, or raise Refused (401 absent, 403 invalid)."""
        token, key = parse_vapid_header(authorization)
        if key.rstrip("=") != self._key_text:
            raise Refused(403, "k is not this application's key")
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify(token)
            if len(self._verified) >= _TOKEN_CACHE_LIMIT:
                self._verified.clear()
            self._verified[token] = claims
        # Checked on every request: a cached token still expires.
        if claims["exp"] <= now:
            raise Refused(403, "token expired")
        if claims["exp"] > now + MAX_TOKEN_LIFETIME:
            raise Refused(403, "exp more than 24 hours ahead")
        return claims

    def _verify(self, token: str) -> dict[str, Any]:
        """Check the JWT's header, ES256 signature and fixed claims."""
        parts = token.split(".")
        if len(parts) != 3:
            raise Refused(403, "token is not a JWT")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except ValueError:
            raise Refused(403, "token is not a JWT") from None
        if not isinstance(header, dict) or header.get("alg") != "ES256":
            raise Refused(403, "token alg must be ES256")
        self._check_signature(f"{parts[0]}.{parts[1]}".encode("ascii"), signature)
        if not isinstance(claims, dict):
            raise Refused(403, "token claims are not an object")
        if claims.get("aud") != self.audience:
            raise Refused(403, f"aud must be {self.audience}")
        exp = claims.get("exp")
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise Refused(403, "exp must be an integer")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.startswith(("mailto:", "https:")):
            raise Refused(403, "sub must be a mailto: or https: contact")
        return claims

    def _check_signature(self, signed: bytes, signature: bytes) -> None:
        """Verify a JOSE ES256 signature (raw r || s) against the application key."""
        if len(signature) != 64:
            raise Refused(403, "signature is not 64 bytes")
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        try:
            self._key.verify(utils.encode_dss_signature(r, s), signed, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise Refused(403, "bad token signature") from None


def parse_ttl(value: str | None) -> int:
    """Read the TTL header: a non-negative integer of seconds."""
    if value is None or not value.isascii() or not value.isdigit():
        raise Refused(400, "TTL must be a non-negative integer")
    return int(value)


def parse_urgency(value: str | None) -> str | None:
    """Read the optional Urgency header."""
    if value is not None and value not in URGENCIES:
        raise Refused(400, "Urgency must be very-low, low, normal or high")
    return value


def parse_topic(value: str | None) -> str | None:
    """Read the optional Topic header: up to 32 base64url characters."""
    if value is not None and not _TOPIC.fullmatch(value):
        raise Refused(400, "Topic must be 1-32 base64url characters")
    return value


class PushReceiver:
    """A push service on loopback, served from a background thread with its own event loop."""

    def __init__(
        self,
        vapid_public_key: str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        clock: Clock = time.time,
        hang_limit: float = 30.0,
        delay: float = 0.0,
    ) -> None:
        load_public_key(vapid_public_key)  # fail here, not on the first push
        self.vapid_public_key = vapid_public_key
        self.host = host
        self.port = port
        self.origin = ""
        self.hang_limit = hang_limit
        # Seconds to wait before answering each push: a slow push service. May be changed
        # while the receiver runs.
        self.delay = delay
        self._clock = clock
        self._vapid: VapidChecker | None = None
        self._subscriptions: dict[str, Subscription] = {}
        self._scripts: dict[str, deque[Answer]] = {}
        self._default_script: deque[Answer] = deque()
        self._gone: dict[str, int] = {}
        self._messages: list[Received] = []
        self._attempts: list[Attempt] = []
        self._refusals = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._startup_error: BaseException | None = None

    # Lifecycle

    def __enter__(self) -> PushReceiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self, timeout: float = 10.0) -> PushReceiver:
        """Bind the port and serve in a background thread."""
        if self._thread is not None:
            raise RuntimeError("the push receiver is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.bind((self.host, self.port))
        sock.listen(1024)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        host = f"[{self.host}]" if family == socket.AF_INET6 else self.host
        self.origin = f"http://{host}:{self.port}"
        self._vapid = VapidChecker(self.vapid_public_key, self.origin)
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(sock, ready), name="push-receiver", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout) or self._startup_error is not None:
            self.stop()
            raise RuntimeError("the push receiver did not start") from self._startup_error
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and join the thread, waiting at most `timeout` seconds."""
        thread, loop = self._thread, self._loop
        if thread is None:
            return
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(self._halt)
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError(f"the push receiver did not stop within {timeout} s")
        self._thread = self._loop = None

    def _halt(self) -> None:
        """Wake hanging requests and stop the loop (runs on the loop's thread)."""
        if self._stopping is not None:
            self._stopping.set()
        asyncio.get_running_loop().stop()

    def _run(self, sock: socket.socket, ready: threading.Event) -> None:
        """Thread body: open the server, run until stopped, then clean up."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            runner = loop.run_until_complete(self._open(sock))
        except BaseException as error:  # handed to start(), which raises it
            self._startup_error = error
            sock.close()
            loop.close()
            ready.set()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()

    async def _open(self, sock: socket.socket) -> web.AppRunner:
        """Build the aiohttp app and serve it on the bound socket."""
        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024)
        app.router.add_post("/push/{id}", self._handle_push)
        app.router.add_get("/_stats", self._handle_stats)
        app.router.add_post("/_reset", self._handle_reset)
        # No access log: it would cost more than the rest of a request in a benchmark.
        # Handler cancellation ends a hanging request as soon as its client gives up.
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await runner.setup()
        await web.SockSite(runner, sock).start()
        return runner

    # Subscriptions and scripted answers

    def new_subscription(self) -> dict[str, Any]:
        """Make a browser-style subscription on this receiver and return its JSON."""
        if not self.origin:
            raise RuntimeError("start the push receiver before subscribing")
        subscription_id = secrets.token_urlsafe(16)
        subscription = Subscription(
            id=subscription_id,
            endpoint=f"{self.origin}/push/{subscription_id}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth=os.urandom(16),
        )
        with self._lock:
            self._subscriptions[subscription_id] = subscription
        return subscription.as_json()

    def script(self, endpoint_or_id: str | None, answers: Sequence[object]) -> None:
        """Queue answers for one subscription (or, given None, for any); then 201 again."""
        parsed = [Answer.parse(entry) for entry in answers]
        with self._lock:
            if endpoint_or_id is None:
                self._default_script.extend(parsed)
                return
            subscription_id = self._id_of(endpoint_or_id)
            if subscription_id not in self._subscriptions:
                raise KeyError(f"no subscription {endpoint_or_id!r} on this receiver")
            self._scripts.setdefault(subscription_id, deque()).extend(parsed)

    def _id_of(self, endpoint_or_id: str) -> str:
        """Accept either a subscription's endpoint or its id."""
        return endpoint_or_id.rsplit("/push/", 1)[-1]

    def _next_answer(self, subscription_id: str) -> Answer:
        """Pop the next scripted answer; 404 and 410 stick, as a real unsubscribe does."""
        with self._lock:
            if subscription_id in self._gone:
                return Answer(self._gone[subscription_id])
            queue = self._scripts.get(subscription_id) or self._default_script
            answer = queue.popleft() if queue else ACCEPTED
            if answer.status in GONE:
                self._gone[subscription_id] = answer.status
            return answer

    # Queries (called from the tests' thread)

    def messages(self, endpoint: str | None = None) -> list[Received]:
        """Accepted pushes, oldest first, for one subscription or all."""
        with self._lock:
            return self._select(self._messages, endpoint)

    def attempts(self, endpoint: str | None = None) -> list[tuple[int, float]]:
        """Every request's (status, at), oldest first; status 0 means left hanging."""
        with self._lock:
            return [(a.status, a.at) for a in self._select(self._attempts, endpoint)]

    def refusals(self, endpoint: str | None = None) -> list[Attempt]:
        """Requests the receiver's own checks refused, with their reasons."""
        with self._lock:
            return [a for a in self._select(self._attempts, endpoint) if a.refused]

    def wait_for(
        self, count: int, timeout: float = 5.0, endpoint: str | None = None
    ) -> list[Received]:
        """Wait until `count` pushes were accepted; raise TimeoutError after `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = self._select(self._messages, endpoint)
                left = deadline - time.monotonic()
                if len(found) >= count or left <= 0:
                    break
                self._changed.wait(left)
            if len(found) >= count:
                return found
            reasons = [a.reason for a in self._attempts if a.refused][-3:]
            raise TimeoutError(
                f"{len(found)} of {count} pushes arrived in {timeout} s; last refusals: {reasons}"
            )

    def clear(self) -> None:
        """Forget messages, attempts, scripts and unsubscribes; keep the subscriptions."""
        with self._lock:
            self._messages.clear()
            self._attempts.clear()
            self._scripts.clear()
            self._default_script.clear()
            self._gone.clear()
            self._refusals = 0

    def stats(self) -> dict[str, Any]:
        """Counts for benchmarks: received, attempts, refusals, first and last receipt."""
        with self._lock:
            return {
                "received": len(self._messages),
                "attempts": len(self._attempts),
                "failures": self._refusals,
                "first_at": self._messages[0].at if self._messages else None,
                "last_at": self._messages[-1].at if self._messages else None,
            }

    def _select(self, records: list[Any], endpoint: str | None) -> list[Any]:
        """Filter records by subscription (endpoint or id); caller holds the lock."""
        if endpoint is None:
            return list(records)
        wanted = f"/push/{self._id_of(endpoint)}"
        return [r for r in records if r.endpoint.endswith(wanted)]

    def _record(self, attempt: Attempt, message: Received | None = None) -> None:
        """Store an attempt (and its message, if accepted) and wake waiters."""
        with self._changed:
            self._attempts.append(attempt)
            if attempt.refused:
                self._refusals += 1
            if message is not None:
                self._messages.append(message)
                self._changed.notify_all()

    # Request handling (on the loop's thread)

    async def _handle_push(self, request: web.Request) -> web.StreamResponse:
        """Check a push like a real service, then give the scripted answer."""
        now = self._clock()
        subscription_id = request.match_info["id"]
        endpoint = f"{self.origin}/push/{subscription_id}"
        try:
            message = await self._accept(request, subscription_id, endpoint, now)
        except Refused as refusal:
            self._record(Attempt(endpoint, refusal.status, refusal.reason, True, now))
            return web.Response(status=refusal.status, text=refusal.reason)
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        answer = self._next_answer(subscription_id)
        if answer.hang:
            self._record(Attempt(endpoint, 0, "left hanging", False, now))
            await self._hang()
            return web.Response(status=503, text="stopped hanging")
        if answer.status == 201:
            self._record(Attempt(endpoint, 201, "", False, now), message)
            location = f"{self.origin}/message/{secrets.token_urlsafe(8)}"
            return web.Response(status=201, headers={"Location": location})
        self._record(Attempt(endpoint, answer.status, "scripted", False, now))
        headers = {} if answer.retry_after is None else {"Retry-After": str(answer.retry_after)}
        return web.Response(status=answer.status, text="scripted answer", headers=headers)

    async def _accept(
        self, request: web.Request, subscription_id: str, endpoint: str, now: float
    ) -> Received:
        """Run every check and decrypt the payload; raise Refused on the first failure."""
        subscription = self._subscriptions.get(subscription_id)
        if subscription is None:
            raise Refused(404, "no such subscription")
        assert self._vapid is not None
        claims = self._vapid.claims(request.headers.get("Authorization"), now)
        headers = request.headers
        if headers.get("Content-Encoding", "").lower() != "aes128gcm":
            raise Refused(400, "Content-Encoding must be aes128gcm")
        ttl = parse_ttl(headers.get("TTL"))
        urgency = parse_urgency(headers.get("Urgency"))
        topic = parse_topic(headers.get("Topic"))
        body = await self._read_body(request)
        try:
            payload = http_ece.decrypt(
                body,
                private_key=subscription.private_key,
                auth_secret=subscription.auth,
                version="aes128gcm",
            )
        except Exception:  # any malformed record, bad tag or key: the body is not for us
            raise Refused(400, "cannot decrypt the payload") from None
        # A copy: the cached claims are shared by every push that reuses the token.
        return Received(subscription_id, endpoint, payload, ttl, urgency, topic, dict(claims), now)

    async def _read_body(self, request: web.Request) -> bytes:
        """Read the body, refusing anything over 4096 bytes with 413."""
        if request.content_length is not None and request.content_length > MAX_PAYLOAD:
            raise Refused(413, "payload over 4096 bytes")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise Refused(413, "payload over 4096 bytes") from None
        if len(body) > MAX_PAYLOAD:
            raise Refused(413, "payload over 4096 bytes")
        return body

    async def _hang(self) -> None:
        """Answer nothing until the client gives up, the server stops or the limit passes."""
        assert self._stopping is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), self.hang_limit)

    async def _handle_stats(self, request: web.Request) -> web.Response:
        """GET /_stats: counts for a benchmark in another process."""
        return web.json_response(self.stats())

    async def _handle_reset(self, request: web.Request) -> web.Response:
        """POST /_reset: forget everything but the subscriptions."""
        self.clear()
        return web.Response(status=204)


def write_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write JSON beside `path` and rename it, so a reader never sees half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data), encoding="utf-8")
    os.replace(temporary, path)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line of the benchmark mode."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vapid-public-key", required=True, help="base64url P-256 point")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--subscriptions", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="where to write the JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT, after writing the origin and subscriptions to --out."""
    args = parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with PushReceiver(args.vapid_public_key, host=args.host, port=args.port) as receiver:
        subscriptions = [receiver.new_subscription() for _ in range(args.subscriptions)]
        write_atomically(args.out, {"origin": receiver.origin, "subscriptions": subscriptions})
        while not stop.wait(0.5):  # short waits so the signal handler gets to run
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
