"""Security headers on every response, and the proxy set-up for deployments behind HTTPS."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix

# default-src covers connect-src, worker-src, manifest-src and fonts; script-src and style-src
# are spelled out because they matter most (no inline script or style). Every byte of a header
# is sent with every page, uncompressed.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# (interest-cohort is gone: browsers no longer know it, and Chromium logs an error for it.)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# Responses that a browser never shows as a page nor runs as a worker: stylesheets, images, the
# web app manifest, scripts from static/ (the service worker's script is not one of them), and
# redirects. The headers that only govern pages and workers would be dead weight on each.
NEVER_A_PAGE = {"text/css", "image/png", "application/manifest+json"}
STATIC_SCRIPTS = {"text/javascript", "application/javascript"}
WORKER_SCRIPT = "/sw.js"


def never_a_page(response: Response) -> bool:
    """Whether the page-only headers (CSP, framing, permissions, COOP) mean nothing here."""
    if 300 <= response.status_code < 400 and "Location" in response.headers:
        return True
    if response.mimetype in NEVER_A_PAGE:
        return True
    return request.endpoint == "static" and response.mimetype in STATIC_SCRIPTS


def init_security(app: Flask) -> None:
    """Add the headers, and trust X-Forwarded-* only from the configured number of proxies."""
    proxies = app.config["PROXY_COUNT"]
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    @app.before_request
    def refuse_cross_origin_writes() -> None:
        # Browsers send Origin with every POST; one from another site is a forged request,
        # whatever its CSRF token (which it should not have anyway).
        if request.method in {"GET", "HEAD", "OPTIONS"}:
            return
        origin = request.headers.get("Origin")
        if origin is None or origin == "null":
            return
        parts = urlsplit(origin)
        if (parts.scheme, parts.netloc) != (request.scheme, request.host):
            abort(400)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # Also on stylesheets: it governs the requests a stylesheet makes. Not on the static
        # scripts: what a page's script fetches follows the page's policy, so there it would
        # only add bytes to a patient's first visit.
        if not (request.endpoint == "static" and response.mimetype in STATIC_SCRIPTS):
            headers.setdefault("Referrer-Policy", "no-referrer")
        if app.config["HTTPS"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Pages about a patient must not linger in shared caches; the service worker keeps
        # its own copy for offline use.
        if response.mimetype == "text/html":
            headers.setdefault("Cache-Control", "no-store")
        if never_a_page(response):
            return response
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        # A worker's script is governed by its CSP, but framing, permissions and the opener
        # policy concern documents only.
        if request.path == WORKER_SCRIPT:
            return response
        headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response
