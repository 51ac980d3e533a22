"""Email transport: SMTP from AFTERCARE_SMTP_URL, sent from a few threads, each message with a
result.

`smtp://host[:587]` upgrades with STARTTLS (required, except to a relay on this machine);
`smtps://host[:465]` speaks TLS from the start. The user name and password come from
AFTERCARE_SMTP_USERNAME and AFTERCARE_SMTP_PASSWORD (or _PASSWORD_FILE), or from the URL.
Without AFTERCARE_SMTP_URL, email is off.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import smtplib
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .channels import Unfinished
from .states import PushOutcome

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}


class SmtpSettingError(ValueError):
    """An SMTP setting the app cannot use; the message names the variable."""


@dataclass(frozen=True)
class SmtpSettings:
    scheme: str  # "smtp" (STARTTLS) or "smtps" (TLS)
    host: str
    port: int
    username: str
    password: str = ""
    sender: str = ""  # the From address
    ca_file: str = ""  # a private CA to trust, beside the system's
    timeout_s: float = 10.0
    concurrency: int = 4

    def __repr__(self) -> str:  # never the password, in a traceback or a log
        return f"SmtpSettings({self.scheme}://{self.host}:{self.port}, from={self.sender!r})"

    @property
    def local(self) -> bool:
        """A relay on this machine, which may offer no STARTTLS: nothing leaves it in clear."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file or None)


def smtp_settings(env: Mapping[str, str], base_url: str) -> SmtpSettings | None:
    """The SMTP settings from the environment, or None: email is off."""
    raw = (env.get("AFTERCARE_SMTP_URL") or "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        raise SmtpSettingError(
            "AFTERCARE_SMTP_URL must look like smtp://host:587 (STARTTLS) or smtps://host:465"
        )
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise SmtpSettingError("AFTERCARE_SMTP_URL has a port that is not a number") from None
    if not base_url:
        raise SmtpSettingError(
            "AFTERCARE_SMTP_URL needs AFTERCARE_BASE_URL: the links in emails are built from it"
        )
    password = env.get("AFTERCARE_SMTP_PASSWORD") or unquote(parts.password or "")
    if env.get("AFTERCARE_SMTP_PASSWORD_FILE"):
        try:
            password = Path(env["AFTERCARE_SMTP_PASSWORD_FILE"]).read_text().strip()
        except OSError as error:
            raise SmtpSettingError(
                f"AFTERCARE_SMTP_PASSWORD_FILE cannot be read: {error.strerror}"
            ) from None
    sender = env.get("AFTERCARE_EMAIL_FROM") or f"reminders@{urlsplit(base_url).hostname}"
    if "@" not in parseaddr(sender)[1]:
        raise SmtpSettingError(f"AFTERCARE_EMAIL_FROM must be an email address, not {sender!r}")
    ca_file = env.get("AFTERCARE_SMTP_CA_FILE") or ""
    if ca_file and not Path(ca_file).is_file():
        raise SmtpSettingError(f"AFTERCARE_SMTP_CA_FILE is not a file: {ca_file!r}")
    return SmtpSettings(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        username=env.get("AFTERCARE_SMTP_USERNAME") or unquote(parts.username or ""),
        password=password,
        sender=sender,
        ca_file=ca_file,
    )


@dataclass(frozen=True)
class EmailJob:
    """One email to one address."""

    to: str
    message: EmailMessage


@dataclass(frozen=True)
class EmailResult:
    status: int | None  # the SMTP reply code, None if there was none
    error: str = ""
    duration_ms: int = 0
    retry_after: float | None = None
    # The mail server refused this address or this message for good (5xx to RCPT or DATA):
    # the address is switched off, as a push subscription the push service calls gone.
    refused: bool = False

    @property
    def outcome(self) -> PushOutcome:
        """delivered (the server took it), failed for good (5xx), or retry (anything else)."""
        if self.status is not None and 200 <= self.status < 300:
            return PushOutcome.DELIVERED
        if self.status is not None and 500 <= self.status < 600:
            return PushOutcome.FAILED
        return PushOutcome.RETRY


class EmailSender:
    """Sends emails from a few threads, each keeping its SMTP connection for the pass."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.concurrency = settings.concurrency
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._connections: list[smtplib.SMTP] = []
        self._lock = threading.Lock()
        self._unfinished = 0

    def __enter__(self) -> EmailSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def unfinished(self) -> int:
        with self._lock:
            return self._unfinished

    def submit(self, messages: Sequence[EmailJob]) -> Future[list[EmailResult]]:
        """Start sending; the future's result is every message's result, in order. If close()
        cancels some before they begin, it fails with `Unfinished`, naming those sent."""
        combined: Future[list[EmailResult]] = Future()
        if not messages:
            combined.set_result([])
            return combined
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="smtp")
            self._unfinished += len(messages)
            pool = self._pool
        parts = [pool.submit(self._send_one, job) for job in messages]
        left = [len(parts)]

        def one_done(_: Future[EmailResult]) -> None:
            with self._lock:
                self._unfinished -= 1
                left[0] -= 1
                last = left[0] == 0
            if not last:
                return
            if any(part.cancelled() for part in parts):
                # close() came first: the messages sent are known, the others never began.
                combined.set_exception(
                    Unfinished([None if part.cancelled() else part.result() for part in parts])
                )
            else:
                combined.set_result([part.result() for part in parts])

        for part in parts:
            part.add_done_callback(one_done)
        return combined

    def send_all(self, messages: Sequence[EmailJob]) -> list[EmailResult]:
        return self.submit(messages).result()

    def close(self) -> None:
        """Cancel what has not started, wait for what has, and close the connections."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        for connection in self._connections:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()
        self._connections = []
        self._local = threading.local()

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        if settings.scheme == "smtps":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=settings.timeout_s,
                context=settings.tls_context(),
            )
        else:
            connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s)
            connection.ehlo()
            if connection.has_extn("starttls"):
                connection.starttls(context=settings.tls_context())
                connection.ehlo()
            elif not settings.local:
                connection.close()
                raise smtplib.SMTPNotSupportedError("the server offers no STARTTLS")
        if settings.username:
            connection.login(settings.username, settings.password)
        with self._lock:
            self._connections.append(connection)
        return connection

    def _connection(self) -> smtplib.SMTP:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
        return connection

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.close()

    def _send_one(self, job: EmailJob) -> EmailResult:
        started = time.perf_counter()

        def result(status: int | None, error: str = "", address: bool = False) -> EmailResult:
            """`address`: the reply was to this recipient or this message (RCPT, DATA), so a
            5xx means the address cannot take mail from us, not that our server is broken."""
            return EmailResult(
                status,
                error[:300],
                int((time.perf_counter() - started) * 1000),
                refused=address and status is not None and 500 <= status < 600,
            )

        # A connection kept from an earlier message may have been closed by the server: one
        # more try on a new one.
        for attempt in range(2):
            try:
                refused = self._connection().send_message(
                    job.message, from_addr=self.settings.sender, to_addrs=[job.to]
                )
            except smtplib.SMTPServerDisconnected as error:
                self._drop_connection()
                if attempt == 0:
                    continue
                return result(None, f"disconnected: {error}")
            except smtplib.SMTPRecipientsRefused as error:
                # Its text may quote the address: only the code is kept.
                [(code, _)] = error.recipients.values()
                return result(code, f"recipient refused: {code}", address=True)
            except smtplib.SMTPDataError as error:
                # smtplib has reset the session: the connection goes on to the next message.
                return result(error.smtp_code, f"message refused: {error.smtp_code}", address=True)
            except smtplib.SMTPResponseException as error:
                self._drop_connection()
                return result(error.smtp_code, f"SMTP {error.smtp_code}")
            except (smtplib.SMTPException, OSError) as error:
                self._drop_connection()
                return result(None, f"connection: {type(error).__name__}")
            except Exception as error:  # the last guard: every message gets a result
                self._drop_connection()
                return result(None, f"unexpected: {type(error).__name__}")
            if refused:
                [(code, _)] = refused.values()
                return result(code, f"recipient refused: {code}", address=True)
            return result(250)
        return result(None, "disconnected")  # pragma: no cover (the loop returns)
