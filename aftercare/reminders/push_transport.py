"""Web Push transport: pywebpush's encryption, sent over one aiohttp session, in parallel.

What makes a fan-out fast is not re-doing work per message: the VAPID token is signed once per
push-service origin and reused until near its expiry, and connections to each push service
are kept open and reused. Encryption (aes128gcm) is per message by nature.

What makes it safe is that nothing about one message can stop the others: every message gets a
result, whatever happens while it is prepared or sent (a refused endpoint, an exception from
py_vapid, pywebpush or http_ece, DNS, TLS, a timeout), and every wait has a limit.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import aiohttp
from aiohttp.resolver import ThreadedResolver
from py_vapid import Vapid02
from pywebpush import WebPusher

from .endpoints import CheckedResolver, EndpointRefused, EndpointRules, ResolverFactory
from .states import PushOutcome

log = logging.getLogger(__name__)

# RFC 8292 allows up to 24 hours; a shorter life with early renewal keeps clock skew harmless.
TOKEN_LIFETIME_S = 12 * 3600
RENEW_BEFORE_S = 3600
MAX_TTL_S = 28 * 24 * 3600  # push services keep a message at most about four weeks
# A push service answers with a few bytes at most; a longer answer is not read (the
# connection is closed instead), so no answer can fill the memory.
MAX_ANSWER_BYTES = 64 * 1024
# How long close() waits for the sending thread to let go.
CLOSE_TIMEOUT_S = 10.0


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
    # The message cannot be sent to this subscription as it is (say, its keys are broken):
    # it failed for good, and is not tried again.
    permanent: bool = False
    # The endpoint breaks the endpoint rules: failed for good, and the subscription is
    # switched off.
    refused: bool = False

    @property
    def outcome(self) -> PushOutcome:
        """delivered, gone (the subscription no longer exists), retry, or failed for good."""
        if self.permanent or self.refused:
            return PushOutcome.FAILED
        if self.status is not None and 200 <= self.status < 300:
            return PushOutcome.DELIVERED
        if self.status in (404, 410):
            return PushOutcome.GONE
        if self.status is None or self.status == 429 or self.status >= 500:
            return PushOutcome.RETRY
        return PushOutcome.FAILED


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
    """Sends messages in parallel, each within its timeout, and reports how each one went.

    The sender runs its own event loop in a thread of its own, with one aiohttp session and a
    fixed set of workers that every message shares, until close(). So connections to a push
    service are opened once per pass, and sending goes on while the caller works with the
    database: a pass hands over batch after batch with submit(), and a push service that hangs
    holds up only its own messages, never the batches behind them.

    Every endpoint is checked against `rules` before anything is signed or encrypted for it,
    and the session's resolver lets connections go only to addresses the rules allow.
    """

    def __init__(
        self,
        tokens: VapidTokens,
        rules: EndpointRules,
        timeout_s: float = 10.0,
        concurrency: int = 64,
        resolver: ResolverFactory = ThreadedResolver,
    ) -> None:
        self.tokens = tokens
        self.rules = rules
        self.timeout_s = timeout_s
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.concurrency = concurrency
        self._resolver = resolver
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

    def wait(
        self,
        batches: Iterable[Future[list[PushResult]]],
        room: int = 0,
        timeout: float | None = None,
    ) -> set[Future[list[PushResult]]]:
        """Wait until one of the batches is done, fewer than `room` messages are unfinished
        (there is room to send more), or `timeout` seconds passed; the batches that are done."""
        batches = list(batches)
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while True:
                done = {batch for batch in batches if batch.done()}
                if done or (room and self._unfinished < room) or not batches:
                    return done
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return done
                self._changed.wait(left)

    def close(self) -> None:
        """Stop the workers, close the connections and the loop; a later call starts anew.

        Messages still out are cancelled, and so are their batches.
        """
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shut_down(), loop).result(CLOSE_TIMEOUT_S)
        except Exception:  # the loop did not answer in time: stop it all the same
            log.warning("the push sender did not shut down cleanly", exc_info=True)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=CLOSE_TIMEOUT_S)
            if thread.is_alive():
                # Something on the loop's thread does not return; leave it (a daemon thread)
                # rather than wait for it.
                log.warning("the push sender's thread did not stop; it is left behind")
            else:
                loop.close()
            with self._changed:
                self._unfinished = 0
                self._changed.notify_all()

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
                connector=aiohttp.TCPConnector(
                    limit=self.concurrency,
                    ttl_dns_cache=300,
                    # Connections go only to addresses the rules allow, as resolved here once.
                    resolver=CheckedResolver(self.rules, self._resolver()),
                ),
                # No proxy from the environment: the connection goes where it was checked.
                trust_env=False,
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
            except Exception as error:  # _send_one answers for itself; this is the last guard
                result = PushResult(None, error=f"unexpected: {_describe(error)}")
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

    def _prepare(self, message: PushMessage) -> tuple[str, bytes, dict[str, str]]:
        """The endpoint, encrypted body and headers of one push; raises what the libraries
        raise for a subscription they cannot use, and EndpointRefused."""
        endpoint = str(message.subscription["endpoint"])
        self.rules.check(endpoint)  # again at sending: a row may predate the rules
        headers = {
            "Authorization": self.tokens.header(endpoint),
            "TTL": str(max(0, min(message.ttl, MAX_TTL_S))),
            "Content-Encoding": "aes128gcm",
            "Urgency": message.urgency,
            "Topic": message.topic,
        }
        encoded = WebPusher(message.subscription).encode(message.payload, "aes128gcm")
        return endpoint, encoded["body"], headers

    async def _post(
        self, session: aiohttp.ClientSession, endpoint: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, str, str | None]:
        """POST one push; its status, reason and Retry-After header."""
        # No redirects: a push service never sends one, and following it would go to an
        # address nobody checked.
        async with session.post(
            endpoint, data=body, headers=headers, allow_redirects=False, timeout=self.timeout
        ) as response:
            if response.content_length is not None and response.content_length <= MAX_ANSWER_BYTES:
                await response.read()  # read to the end, so the connection can be reused
            return response.status, response.reason or "", response.headers.get("Retry-After")

    async def _send_one(self, session: aiohttp.ClientSession, message: PushMessage) -> PushResult:
        started = time.perf_counter()

        def failed(error: str, **kind: bool) -> PushResult:
            return PushResult(None, error=error[:300], duration_ms=_ms_since(started), **kind)

        try:
            endpoint, body, headers = self._prepare(message)
        except EndpointRefused as refusal:
            return failed(f"refused: {refusal.reason}", refused=True)
        except Exception as error:  # py_vapid, pywebpush, http_ece: this subscription is unusable
            return failed(f"cannot prepare: {_describe(error)}", permanent=True)
        try:
            async with asyncio.timeout(self.timeout_s):
                status, reason, retry_after = await self._post(session, endpoint, body, headers)
        except TimeoutError:
            return failed("timed out")
        except EndpointRefused as refusal:  # its name resolved to an address not allowed
            return failed(f"refused: {refusal.reason}", refused=True)
        except aiohttp.ClientConnectorDNSError as error:
            return failed(f"DNS: {error}")
        except aiohttp.ClientSSLError as error:
            return failed(f"TLS: {error}")
        except (aiohttp.ClientError, OSError) as error:
            return failed(f"connection: {error}")
        except Exception as error:  # anything else is tried again, within the retry window
            return failed(f"unexpected: {_describe(error)}")
        error = "" if 200 <= status < 300 else f"HTTP {status}: {reason}".strip()
        return PushResult(
            status,
            retry_after=retry_after_seconds(retry_after),
            error=error[:300],
            duration_ms=_ms_since(started),
        )


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
