"""Links that leave the app, and the host names the app answers to.

Enrollment QR codes, companion links, invitations, calendar files and reminders carry links to
the app that people open later, on another device. Built from the request's Host header, a
forged header would put another site's address in them. So they are all built here, from
AFTERCARE_BASE_URL, and requests for any other host are refused:

* with AFTERCARE_BASE_URL set, Flask's TRUSTED_HOSTS holds its host (and this machine's
  loopback names, for health checks and a reverse proxy that does not pass the Host on);
* without it, the app answers only to local names (this machine and the local network), so a
  trial on a laptop or a phone on the same Wi-Fi keeps working and a forged public name gets
  a 400. Links then use the local address the request came to.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, has_request_context, request, url_for
from werkzeug.exceptions import SecurityError

# Always answered, with or without AFTERCARE_BASE_URL: the machine itself.
LOOPBACK_NAMES = ("localhost", "127.0.0.1")
# Names that only resolve on a local network (RFC 6762 .local, RFC 8375 home.arpa, and the
# suffixes home routers hand out).
LOCAL_SUFFIXES = (".localhost", ".local", ".lan", ".home.arpa", ".internal")


def external_url(path: str) -> str:
    """The absolute link to `path` (a path made by the app) for use outside the app.

    From AFTERCARE_BASE_URL when set; otherwise from the local address of this request, which
    `refuse_public_hosts` has checked. Outside a request and without the setting (the
    scheduler on a trial machine), the path itself: the service worker opens it on its own
    origin.
    """
    base = current_app.config["BASE_URL"]
    if base:
        return base + path
    if has_request_context():
        return request.host_url.rstrip("/") + path
    return path


def external_url_for(endpoint: str, **values: Any) -> str:
    """`external_url` for a view, as `url_for` names it."""
    return external_url(url_for(endpoint, **values))


def trusted_hosts(base_url: str) -> list[str]:
    """The Host headers answered when the public address is set: its host, and loopback."""
    name = urlsplit(base_url).hostname or ""
    return [f"[{name}]" if ":" in name else name, *LOOPBACK_NAMES]


def is_local_host(host: str) -> bool:
    """Whether a Host header (with or without a port) names this machine or the local network."""
    name = host.lower()
    if name.startswith("["):
        name = name[1:].split("]", 1)[0]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    if not name:
        return False  # a Host header werkzeug could not read
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped  # ::ffff:8.8.8.8 is 8.8.8.8, a public address
        return address.is_loopback or address.is_private or address.is_link_local
    # A single label ("clinic-pc") is a name on the local network.
    return name == "localhost" or "." not in name or name.endswith(LOCAL_SUFFIXES)


def init_links(app: Flask) -> None:
    """Refuse requests for other hosts: by TRUSTED_HOSTS with a base URL, local names without."""
    base = app.config["BASE_URL"]
    if base and app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = trusted_hosts(base)
    warned = False

    def refuse_other_hosts() -> None:
        nonlocal warned
        host = request.host  # raises SecurityError for a host not in TRUSTED_HOSTS
        if base or is_local_host(host):
            return
        if not warned:
            warned = True
            app.logger.warning(
                "refused a request for the host %r: without AFTERCARE_BASE_URL only this"
                " machine and the local network are answered. Serving the app under that"
                " name? Set AFTERCARE_BASE_URL=https://<that name> (see README). Later"
                " refusals are not logged.",
                host[:100],
            )
        raise SecurityError("This host is not served here.")

    # First of all the request hooks: nothing else (CSRF checks, sign-in, error pages that
    # link to the app) runs for a host that is refused.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_other_hosts)

    @app.errorhandler(SecurityError)
    def unknown_host(error: SecurityError) -> Response:
        # Plain text: the error page links to the app, and no link can be made for this host.
        return Response("Bad request: this host is not served here.\n", 400, mimetype="text/plain")
