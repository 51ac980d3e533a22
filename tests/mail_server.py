"""A real SMTP server on loopback (aiosmtpd) that keeps every message it takes, parsed with
the standard `email` package; it can answer chosen recipients with an error code, and offer
STARTTLS with a certificate of its own."""

from __future__ import annotations

import asyncio
import ssl
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.servers import free_port


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    authenticated: bool

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    def attachments(self) -> list[EmailMessage]:
        return list(self.message.iter_attachments())


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, ANN201, N802
        with self.server.lock:
            script = self.server.scripts.get(address)
            code = script.pop(0) if script and len(script) > 1 else (script or [250])[0]
        if code != 250:
            return f"{code} not now" if code < 500 else f"{code} no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        with self.server.lock:
            refusal = next(
                (
                    self.server.data_refusals[to]
                    for to in envelope.rcpt_tos
                    if to in self.server.data_refusals
                ),
                None,
            )
        if refusal is not None:
            return f"{refusal} message refused"
        if self.server.delay > 0:
            await asyncio.sleep(self.server.delay)
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        # TLS from STARTTLS (session.ssl) or from the start (smtps: the transport's own).
        tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        with self.server.lock:
            self.server.received.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    message,
                    tls=tls,
                    authenticated=bool(session.authenticated),
                )
            )
            self.server.lock.notify_all()
        return "250 Message accepted"


def _authenticate(mail_server: MailServer, expected: tuple[str, str]):  # noqa: ANN202
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
        ok = (
            isinstance(auth_data, LoginPassword)
            and (auth_data.login.decode(), auth_data.password.decode()) == expected
        )
        if ok:
            with mail_server.lock:
                mail_server.logins.append(expected[0])
        return AuthResult(success=ok)

    return authenticator


class MailServer:
    """An aiosmtpd server on 127.0.0.1 until stop(); `received` holds what it took, each message
    taken `delay` seconds after its data came."""

    def __init__(
        self,
        tls_context: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.lock = threading.Condition()  # a message arriving wakes wait_for()
        self.received: list[Received] = []
        self.scripts: dict[str, list[int]] = {}
        # Recipients whose messages are refused after DATA, with this code.
        self.data_refusals: dict[str, int] = {}
        self.logins: list[str] = []
        # Seconds to wait before taking each message: a slow mail server. May be changed
        # while it runs.
        self.delay = 0.0
        self.port = free_port()
        options: dict = {}
        if tls_context is not None:
            options.update(tls_context=tls_context, require_starttls=True)
        if credentials is not None:
            options.update(
                authenticator=_authenticate(self, credentials),
                auth_require_tls=tls_context is not None,
                auth_required=True,
            )
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10, **options
        )

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> MailServer:
        self.controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.controller.stop()

    def script(self, address: str, codes: list[int]) -> None:
        """Answer RCPT TO for `address` with these codes in turn (the last repeats)."""
        with self.lock:
            self.scripts[address] = list(codes)

    def messages(self, to: str | None = None) -> list[Received]:
        with self.lock:
            return [m for m in self.received if to is None or to in m.rcpt_tos]

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        with self.lock:
            if self.lock.wait_for(lambda: len(self.received) >= count, timeout):
                return list(self.received)
            raise AssertionError(f"expected {count} messages, got {len(self.received)}")


def self_signed(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context for 127.0.0.1 with a certificate of its own, and that certificate's
    file, for the client to trust (AFTERCARE_SMTP_CA_FILE)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file
