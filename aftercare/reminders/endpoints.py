"""Which push endpoints the app sends to, checked when a phone subscribes and again at sending.

An endpoint is a URL that a patient's browser hands the server; without these rules anyone with
an enrolled phone could make the scheduler open connections inside the server's own network
(SSRF). So an endpoint must be https, name a host (never an IP address), carry no user name,
use port 443 (unless a configured service says otherwise), belong to one of the allowed push
services, and that name must resolve only to public addresses. The sender's connections are
made through `CheckedResolver`, so they go to exactly the addresses that were checked: a name
that answers differently a moment later (DNS rebinding) changes nothing.

`AFTERCARE_PUSH_ALLOW_LOOPBACK_HTTP` (tests and local trials only) also lets endpoints on this
machine through: http or https, any port, host 127.0.0.1, ::1 or localhost.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from flask import Flask

log = logging.getLogger(__name__)

# The browsers' own push services (RFC 8030), as host suffixes: Chrome and most Chromium-based
# browsers use Firebase Cloud Messaging; Firefox, Mozilla autopush; Safari, Apple's web push
# (any subdomain of push.apple.com, as WebKit asks); Edge, the Windows Push Notification
# Services.
DEFAULT_PUSH_SERVICES = (
    "fcm.googleapis.com",
    "push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
)
HTTPS_PORT = 443
LOOPBACK_NAMES = frozenset({"localhost"})
# How long a subscribe request waits for the push service's name to resolve.
SUBSCRIBE_RESOLVE_TIMEOUT_S = 5.0

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# Top-level domains are letters (or xn-- for international ones). A last label that is a number
# makes the whole host an IPv4 address in some spelling (2130706433, 0x7f000001, 127.1).
_TOP_LABEL = re.compile(r"[a-z][a-z0-9-]*")
# IPv6 ranges that carry an IPv4 address inside (mapped, compatible, SIIT, 6to4, NAT64, Teredo):
# a way to spell a private IPv4 address that a plain IPv6 check would miss.
_EMBEDDED_IPV4 = tuple(
    ipaddress.ip_network(network)
    for network in (
        "::ffff:0:0/96",
        "::/96",
        "::ffff:0:0:0/96",
        "2002::/16",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "2001::/32",
    )
)
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")


class EndpointRefused(ValueError):
    """An endpoint the app will not send to. `code` names the rule, the message says why."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class PushService:
    """An allowed push service: a host and its subdomains, on one port."""

    suffix: str
    port: int = HTTPS_PORT

    def covers(self, host: str, port: int) -> bool:
        return port == self.port and (host == self.suffix or host.endswith("." + self.suffix))

    @classmethod
    def parse(cls, entry: str) -> PushService:
        """Read `host.suffix` or `host.suffix:port`; ValueError says what is wrong."""
        suffix, colon, port_text = entry.strip().lower().lstrip(".").partition(":")
        if not is_host_name(suffix):
            raise ValueError(f"{entry!r} is not a host name")
        if not colon:
            return cls(suffix)
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"{entry!r} has no valid port after the colon")
        return cls(suffix, int(port_text))


@dataclass(frozen=True)
class Target:
    """Where an endpoint that passed the rules points: host, port, and whether it is local."""

    host: str
    port: int
    loopback: bool


def is_host_name(host: str) -> bool:
    """A DNS name in lower-case letters, digits and hyphens, ending in a top-level domain."""
    labels = host.split(".")
    return (
        len(host) <= 253
        and all(_LABEL.fullmatch(label) for label in labels)
        and bool(_TOP_LABEL.fullmatch(labels[-1]))
    )


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether the address is on the public internet (no private, local or special range)."""
    if address.version == 6:
        if address not in _GLOBAL_UNICAST_V6:
            return False
        if any(address in network for network in _EMBEDDED_IPV4):
            return False
    special = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
    return address.is_global and not special


def _spells_an_address(host: str) -> bool:
    """An IPv6 address in brackets, or a host whose last label is a number: some parser
    somewhere reads it as an address (0x7f000001, 2130706433, 127.1)."""
    labels = [label for label in host.split(".") if label]
    return ":" in host or not labels or labels[-1][0].isdigit()


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


class EndpointRules:
    """The rules for one app's settings: the allowed services, and the loopback exception."""

    def __init__(self, services: Iterable[PushService], allow_loopback: bool = False) -> None:
        self.services = tuple(services)
        self.allow_loopback = allow_loopback

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> EndpointRules:
        return cls(
            (PushService(host, port) for host, port in config["PUSH_SERVICES"]),
            allow_loopback=config["PUSH_ALLOW_LOOPBACK_HTTP"],
        )

    def check(self, endpoint: str) -> Target:
        """The endpoint's target if its URL passes every rule; EndpointRefused if not.

        This is the part that needs no DNS. The name's addresses are checked by
        `CheckedResolver`, at subscribing and at each connection.
        """
        parts = _split(endpoint)
        host = parts.hostname or ""
        if parts.username is not None or parts.password is not None or "@" in parts.netloc:
            raise EndpointRefused("user_info", "the endpoint must not carry a user name")
        try:
            port = parts.port
        except ValueError:
            raise EndpointRefused("port", "the endpoint's port is not a number") from None
        if self.allow_loopback and self._is_loopback_host(host):
            if parts.scheme not in ("http", "https"):
                raise EndpointRefused("scheme", "the endpoint must be an https:// URL")
            default = HTTPS_PORT if parts.scheme == "https" else 80
            return Target(host, port or default, loopback=True)
        if parts.scheme != "https":
            raise EndpointRefused("scheme", "the endpoint must be an https:// URL")
        if _literal_address(host) is not None or _spells_an_address(host):
            raise EndpointRefused(
                "ip_address", "the endpoint must name its push service, not an IP address"
            )
        if not is_host_name(host):
            raise EndpointRefused("malformed", "the endpoint's host is not a plain name")
        port = port or HTTPS_PORT
        if not any(service.covers(host, port) for service in self.services):
            if any(service.covers(host, service.port) for service in self.services):
                raise EndpointRefused("port", f"the endpoint's port must be {HTTPS_PORT}")
            raise EndpointRefused(
                "not_allowed",
                f"{host} is not one of the allowed push services (AFTERCARE_PUSH_SERVICES)",
            )
        return Target(host, port, loopback=False)

    def _is_loopback_host(self, host: str) -> bool:
        address = _literal_address(host)
        return host in LOOPBACK_NAMES or (address is not None and address.is_loopback)

    def check_addresses(self, host: str, addresses: Iterable[str]) -> None:
        """Raise EndpointRefused unless every address of `host` may be connected to."""
        local = self.allow_loopback and self._is_loopback_host(host)
        found = False
        for text in addresses:
            found = True
            address = _literal_address(text.split("%", 1)[0])
            allowed = address is not None and (address.is_loopback if local else is_public(address))
            if not allowed:
                raise EndpointRefused(
                    "private_address",
                    f"{host} resolves to {text}, which is not a public address",
                )
        if not found:
            raise EndpointRefused("unresolvable", f"{host} has no address")


def _split(endpoint: str) -> SplitResult:
    # Only printable ASCII, no spaces or backslashes: browsers send endpoints in that form, and
    # anything else is where URL parsers disagree with each other.
    if not endpoint.isascii() or not endpoint.isprintable() or any(c in endpoint for c in " \\"):
        raise EndpointRefused("malformed", "the endpoint is not a plain URL")
    try:
        parts = urlsplit(endpoint)
        parts.hostname  # noqa: B018 (raises for an unclosed IPv6 bracket)
    except ValueError:
        raise EndpointRefused("malformed", "the endpoint is not a plain URL") from None
    if not parts.hostname:
        raise EndpointRefused("malformed", "the endpoint is not a plain URL")
    return parts


ResolverFactory = Callable[[], AbstractResolver]


class CheckedResolver(AbstractResolver):
    """A resolver for aiohttp that gives only addresses the rules allow, or raises.

    The sender's connector uses it, so each connection goes to the addresses checked here; the
    connector's DNS cache holds only checked answers.
    """

    def __init__(self, rules: EndpointRules, base: AbstractResolver) -> None:
        self.rules = rules
        self.base = base

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            answers = await self.base.resolve(host, port, family)
        except OSError as error:
            no_such_name = isinstance(error, socket.gaierror) and error.errno in _NO_SUCH_NAME
            raise EndpointUnresolved(
                f"{host} could not be resolved: {error}", no_such_name=no_such_name
            ) from None
        self.rules.check_addresses(host, (answer["host"] for answer in answers))
        return answers

    async def close(self) -> None:
        await self.base.close()


class EndpointUnresolved(OSError):
    """The push service's name did not resolve just now. At sending, it is tried again later
    (DNS has bad minutes); at subscribing, a name that does not exist at all is refused."""

    def __init__(self, message: str, no_such_name: bool = False) -> None:
        super().__init__(message)
        self.no_such_name = no_such_name


_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def resolver_factory(app: Flask) -> ResolverFactory:
    """The base resolver for this app: the system's (getaddrinfo in a thread), unless a test
    put another in `app.extensions["aftercare.push_resolver"]`."""
    return app.extensions.get("aftercare.push_resolver", ThreadedResolver)


def check_endpoint(
    endpoint: str,
    rules: EndpointRules,
    resolver: ResolverFactory,
    timeout_s: float = SUBSCRIBE_RESOLVE_TIMEOUT_S,
) -> None:
    """Check an endpoint fully, DNS included, from ordinary (non-async) code.

    Raises EndpointRefused, or EndpointUnresolved when the name could not be resolved in time.
    """
    target = rules.check(endpoint)
    if _literal_address(target.host) is not None:
        return  # a loopback address, allowed by the setting: nothing to resolve
    outcome: dict[str, BaseException] = {}

    def look_up() -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(asyncio.wait_for(_resolve(rules, resolver, target), timeout_s))
        except BaseException as error:  # handed to the caller's thread below
            outcome["error"] = error
        finally:
            # close(), not asyncio.run(): a lookup stuck in its thread is left behind.
            loop.close()

    # On a loop of its own in a thread of its own: the caller's thread may be running an event
    # loop already (an async server, a test driving a browser), and one thread runs one loop.
    thread = threading.Thread(target=look_up, name="push-endpoint-check", daemon=True)
    thread.start()
    thread.join(timeout_s + 1)
    error = outcome.get("error")
    if thread.is_alive() or isinstance(error, TimeoutError):
        raise EndpointUnresolved(f"{target.host} did not resolve in {timeout_s:g} s")
    if error is not None:
        raise error


async def _resolve(rules: EndpointRules, resolver: ResolverFactory, target: Target) -> None:
    checked = CheckedResolver(rules, resolver())
    try:
        await checked.resolve(target.host, target.port, socket.AF_UNSPEC)
    finally:
        await checked.close()


def announce_loopback(app: Flask) -> None:
    """Say loudly, at start-up, that the loopback exception for test push receivers is on."""
    if app.config["PUSH_ALLOW_LOOPBACK_HTTP"]:
        log.warning(
            "AFTERCARE_PUSH_ALLOW_LOOPBACK_HTTP is on: reminders may be sent over plain HTTP to "
            "push receivers on this machine (127.0.0.1, ::1, localhost). It is for tests and "
            "local trials only; turn it off anywhere patients use the app."
        )
