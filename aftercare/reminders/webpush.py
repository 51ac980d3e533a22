"""Web Push transport: pywebpush's async API over one aiohttp session, sends in parallel.

What makes a fan-out fast is not re-doing work per message: the VAPID token is signed once per
push-service origin and reused until near its expiry, and connections to each push service
are kept open and reused. Encryption (aes128gcm) is per message by nature.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
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
    """Sends messages in parallel, each with a timeout, and reports how each one went.

    The sender runs its own event loop in a thread of its own, with one aiohttp session and a
    fixed set of workers that every message shares, until close(). So connections to a push
    service are opened once per pass, and sending goes on while the caller works with the
    database: a pass hands over batch after batch with submit(), and a push service that hangs
    holds up only its own messages, never the batches behind them.
    """

    def __init__(self, tokens: VapidTokens, timeout_s: float = 10.0, concurrency: int = 64) -> None:
        self.tokens = tokens
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.concurrency = concurrency
        self._lock = threading.Lock()
        # Signalled (from the loop's thread) whenever a message or a batch finishes.
        self._changed = threading.Condition()
        self._unfinished = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        # Used on the loop's thread only.
        self._session: aiohttp.ClientSession | None = None
        self._queue: asyncio.Queue[tuple[PushMessage, asyncio.Future[PushResult]]] | None = None
        self._workers: list[asyncio.Task[None]] = []

    def __enter__(self) -> WebPushSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def unfinished(self) -> int:
        """Messages submitted and not yet answered (or timed out)."""
        with self._changed:
            return self._unfinished

    def send_all(self, messages: Sequence[PushMessage]) -> list[PushResult]:
        """Send every message, in parallel; results come back in the same order."""
        batch = self.submit(messages)
        return batch.result()

    def submit(self, messages: Sequence[PushMessage]) -> Future[list[PushResult]]:
        """Start sending; the future's result is every message's result, in order."""
        if not messages:
            done: Future[list[PushResult]] = Future()
            done.set_result([])
            return done
        with self._changed:
            self._unfinished += len(messages)
        batch = asyncio.run_coroutine_threadsafe(self._submit(list(messages)), self._running())
        batch.add_done_callback(lambda _: self._notify())
        return batch

    def wait(self, batches: Iterable[Future[list[PushResult]]], room: int = 0) -> set:
        """Wait until one of the batches is done, or fewer than `room` messages are unfinished
        (there is room to send more); the batches that are done."""
        batches = list(batches)
        with self._changed:
            while True:
                done = {batch for batch in batches if batch.done()}
                if done or (room and self._unfinished < room) or not batches:
                    return done
                self._changed.wait()

    def close(self) -> None:
        """Stop the workers, close the connections and the loop; a later call starts anew."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shut_down(), loop).result(timeout=30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
            loop.close()
            with self._changed:
                self._unfinished = 0

    # The loop's side.

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="web-push", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    async def _submit(self, messages: list[PushMessage]) -> list[PushResult]:
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.concurrency, ttl_dns_cache=300)
            )
            # A fixed set of workers taking the next message, rather than a task per message
            # waiting on a semaphore: the same concurrency with less scheduling per message.
            self._workers = [
                asyncio.create_task(self._work(self._queue, self._session))
                for _ in range(self.concurrency)
            ]
        loop = asyncio.get_running_loop()
        answers = [loop.create_future() for _ in messages]
        for message, answer in zip(messages, answers, strict=True):
            self._queue.put_nowait((message, answer))
        return list(await asyncio.gather(*answers))

    async def _work(
        self,
        queue: asyncio.Queue[tuple[PushMessage, asyncio.Future[PushResult]]],
        session: aiohttp.ClientSession,
    ) -> None:
        while True:
            message, answer = await queue.get()
            try:
                result = await self._send_one(session, message)
            except asyncio.CancelledError:  # close() during a send: its batch is cancelled
                answer.cancel()
                raise
            finally:
                with self._changed:
                    self._unfinished -= 1
                    self._changed.notify_all()
            if not answer.done():
                answer.set_result(result)

    async def _shut_down(self) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        if self._queue is not None:
            while not self._queue.empty():
                _, answer = self._queue.get_nowait()
                answer.cancel()
        if self._session is not None:
            await self._session.close()
        self._queue, self._session, self._workers = None, None, []

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
