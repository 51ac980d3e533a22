"""Web Push transport: pywebpush's async API over one aiohttp session, sends in parallel.

What makes a fan-out fast is not re-doing work per message: the VAPID token is signed once per
push-service origin and reused until near its expiry, and connections to each push service
are kept open and reused. Encryption (aes128gcm) is per message by nature.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import aiohttp
from py_vapid import Vapid02
from pywebpush import WebPusher

# RFC 8292 allows up to 24 hours; a shorter life with early renewal keeps clock skew harmless.
TOKEN_LIFETIME_S = 12 * 3600
RENEW_BEFORE_S = 3600
MAX_TTL_S = 28 * 24 * 3600  # push services keep a message at most about four weeks


@dataclass(frozen=True)
class PushMessage:
    subscription: dict[str, object]
    payload: bytes
    ttl: int
    urgency: str
    topic: str


@dataclass(frozen=True)
class PushResult:
    status: int | None
    retry_after: float | None = None
    error: str = ""
    duration_ms: int = 0
    unsendable: bool = False  # the message could not even be built (a broken subscription)

    @property
    def outcome(self) -> str:
        """delivered, gone (the subscription no longer exists), retry, or failed for good."""
        if self.unsendable:
            return "failed"
        if self.status is not None and 200 <= self.status < 300:
            return "delivered"
        if self.status in (404, 410):
            return "gone"
        if self.status is None or self.status == 429 or self.status >= 500:
            return "retry"
        return "failed"


def origin_of(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


class VapidTokens:
    """One signed VAPID Authorization header per push-service origin, reused until near expiry."""

    def __init__(
        self,
        vapid: Vapid02,
        subject: str,
        lifetime_s: int = TOKEN_LIFETIME_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._vapid = vapid
        self._subject = subject
        self._lifetime_s = min(lifetime_s, 24 * 3600)
        self._clock = clock
        self._cache: dict[str, tuple[str, float]] = {}
        self.signed = 0  # how many tokens were signed, for tests and benchmarks

    def header(self, endpoint: str) -> str:
        origin = origin_of(endpoint)
        now = self._clock()
        cached = self._cache.get(origin)
        if cached and now < cached[1] - min(RENEW_BEFORE_S, self._lifetime_s / 4):
            return cached[0]
        expires = int(now) + self._lifetime_s
        claims = {"aud": origin, "exp": expires, "sub": self._subject}
        header = self._vapid.sign(claims)["Authorization"]
        self._cache[origin] = (header, expires)
        self.signed += 1
        return header


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A Retry-After header, in seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (now if now is not None else time.time()))


class WebPushSender:
    """Sends many messages at once, each with a timeout, and reports how each one went.

    One event loop and one aiohttp session serve every call until close(), so a pass that
    sends in batches connects to each push service once rather than once per batch.
    """

    def __init__(self, tokens: VapidTokens, timeout_s: float = 10.0, concurrency: int = 64) -> None:
        self.tokens = tokens
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.concurrency = concurrency
        self._runner: asyncio.Runner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._lock = threading.Lock()  # one loop: calls from several threads take turns

    def __enter__(self) -> WebPushSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send_all(self, messages: Sequence[PushMessage]) -> list[PushResult]:
        """Send every message, in parallel; results come back in the same order."""
        if not messages:
            return []
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            with self._lock:
                if self._runner is None:
                    self._runner = asyncio.Runner()
                return self._runner.run(self._send_kept(messages))
        # Called from a thread that already runs an event loop: use a fresh loop elsewhere.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, self._send_once(messages)).result()

    def close(self) -> None:
        """Close the kept connections and loop; a later send_all() opens new ones."""
        with self._lock:
            runner, session = self._runner, self._session
            self._runner = self._session = None
            if runner is None:
                return
            try:
                if session is not None:
                    runner.run(session.close())
            finally:
                runner.close()

    def _new_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=self.concurrency, ttl_dns_cache=300)
        return aiohttp.ClientSession(connector=connector)

    async def _send_kept(self, messages: Sequence[PushMessage]) -> list[PushResult]:
        if self._session is None or self._session.closed:
            self._session = self._new_session()
        return await self._send_many(self._session, messages)

    async def _send_once(self, messages: Sequence[PushMessage]) -> list[PushResult]:
        async with self._new_session() as session:
            return await self._send_many(session, messages)

    async def _send_many(
        self, session: aiohttp.ClientSession, messages: Sequence[PushMessage]
    ) -> list[PushResult]:
        # A fixed set of workers taking the next message, rather than a task per message
        # waiting on a semaphore: the same concurrency with less scheduling per message.
        results: list[PushResult | None] = [None] * len(messages)
        queue = iter(enumerate(messages))

        async def worker() -> None:
            for index, message in queue:
                results[index] = await self._send_one(session, message)

        workers = min(self.concurrency, len(messages))
        await asyncio.gather(*(worker() for _ in range(workers)))
        return results  # type: ignore[return-value]  (every slot was filled)

    async def _send_one(self, session: aiohttp.ClientSession, message: PushMessage) -> PushResult:
        started = time.perf_counter()
        headers = {
            "Authorization": self.tokens.header(str(message.subscription["endpoint"])),
            "Urgency": message.urgency,
            "Topic": message.topic,
        }
        try:
            pusher = WebPusher(message.subscription, aiohttp_session=session)
            response = await pusher.send_async(
                message.payload,
                headers=headers,
                ttl=max(0, min(message.ttl, MAX_TTL_S)),
                content_encoding="aes128gcm",
                timeout=self.timeout,
            )
        except TimeoutError:
            return PushResult(None, error="timed out", duration_ms=_ms_since(started))
        except aiohttp.ClientError as error:
            return PushResult(
                None, error=f"connection: {error}"[:300], duration_ms=_ms_since(started)
            )
        except Exception as error:  # a bad subscription (keys) must not stop the others
            return PushResult(
                0, error=f"{type(error).__name__}: {error}"[:300], duration_ms=_ms_since(started)
            )
        status = response.status
        error = "" if 200 <= status < 300 else f"HTTP {status}: {response.reason or ''}".strip()
        return PushResult(
            status,
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            error=error[:300],
            duration_ms=_ms_since(started),
        )


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
