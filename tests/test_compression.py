"""Responses travel compressed, static code minified, and caching and headers still hold."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest
from flask import Flask

from aftercare.compression import DENSE_QUALITY, DENSE_UP_TO
from aftercare.pwa.views import VERSIONED_MAX_AGE, asset

DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


def versioned(app: Flask, filename: str) -> str:
    with app.test_request_context():
        return asset(filename)


def get(client, url: str, encoding: str | None = None, **headers: str):  # noqa: ANN001, ANN201
    if encoding is not None:
        headers["Accept-Encoding"] = encoding
    return client.get(url, headers=headers)


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_pages_scripts_styles_the_worker_and_the_manifest_travel_compressed(
    app, client, phone, encoding
):
    urls = {
        "/offline": "<!doctype html>",
        "/manifest.webmanifest": '"start_url"',
        "/sw.js": "addEventListener",
        versioned(app, "css/app.css"): ".btn",
        versioned(app, "js/app.js"): "serviceWorker",
    }
    for url, text in urls.items():
        response = get(client, url, encoding)
        assert response.status_code == 200, url
        assert response.headers["Content-Encoding"] == encoding, url
        assert "Accept-Encoding" in response.headers["Vary"], url
        plain = get(client, url)
        assert "Content-Encoding" not in plain.headers, url
        assert len(response.data) < len(plain.data) / 2, url
        decoded = DECODE[encoding](response.data).decode()
        assert text in decoded, url
        if not url.startswith("/offline"):  # the page's CSRF token differs per request
            assert decoded == plain.text, url
    today = phone.client.get("/today", headers={"Accept-Encoding": encoding})
    assert today.headers["Content-Encoding"] == encoding
    assert "Your aftercare" in DECODE[encoding](today.data).decode()


def test_the_browsers_own_list_gets_brotli_and_a_refusal_gets_plain_bytes(app, client):
    css = versioned(app, "css/app.css")
    assert get(client, css, "gzip, deflate, br, zstd").headers["Content-Encoding"] == "br"
    assert get(client, "/offline", "gzip, deflate, br, zstd").headers["Content-Encoding"] == "br"
    for refusal in ("identity", "br;q=0, gzip;q=0", ""):
        for url in (css, "/offline", "/sw.js"):
            assert "Content-Encoding" not in get(client, url, refusal).headers, (url, refusal)


def test_icons_are_sent_as_they_are(app, client):
    response = get(client, versioned(app, "icons/icon-192.png"), "br, gzip")
    assert "Content-Encoding" not in response.headers
    assert response.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_static_code_is_sent_without_comments_and_the_worker_too(app, client):
    for url, comment in (
        (versioned(app, "js/outbox.js"), "Every check-in is written here BEFORE it is sent"),
        (versioned(app, "css/app.css"), "Full-bleed bars with content aligned to main"),
        ("/sw.js", "Aftercare's service worker"),
    ):
        body = get(client, url).text
        assert comment not in body, url
    # What the page relies on is all there.
    assert "AftercareOutbox" in get(client, versioned(app, "js/outbox.js")).text


def test_a_versioned_static_file_is_kept_a_year_and_revalidates_by_its_etag(app, client):
    url = versioned(app, "css/app.css")
    first = get(client, url, "br")
    cache_control = first.headers["Cache-Control"]
    assert f"max-age={VERSIONED_MAX_AGE}" in cache_control and "immutable" in cache_control
    assert "no-cache" not in cache_control
    etag = first.headers["ETag"]
    assert etag != get(client, url, "gzip").headers["ETag"] != get(client, url).headers["ETag"]
    again = get(client, url, "br", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    # A changed file would come back in full: another encoding's validator does not match.
    other = get(client, url, "gzip", **{"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["Content-Encoding"] == "gzip"


@pytest.mark.parametrize("url", ["/static/css/app.css", "/static/css/app.css?v=000000000000"])
def test_a_static_file_without_its_current_version_is_checked_each_time(client, url):
    response = get(client, url, "br")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert "immutable" not in response.headers["Cache-Control"]


def test_compressed_pages_and_the_worker_keep_their_headers(client, phone):
    page = phone.client.get("/today", headers={"Accept-Encoding": "br"})
    worker = get(client, "/sw.js", "br")
    for response in (page, worker):
        assert response.headers["Content-Encoding"] == "br"
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["X-Frame-Options"] == "DENY"
    # Framing, permissions and the opener policy concern documents, never a worker's script.
    for header in ("X-Frame-Options", "Permissions-Policy", "Cross-Origin-Opener-Policy"):
        assert header not in worker.headers, header
    assert page.headers["Cache-Control"] == "no-store"
    assert worker.headers["Cache-Control"] == "no-cache"
    assert worker.headers["Service-Worker-Allowed"] == "/"


def test_stylesheets_and_scripts_go_without_the_headers_that_only_pages_heed(app, client):
    for filename in ("css/app.css", "js/app.js", "icons/icon-192.png"):
        response = get(client, versioned(app, filename), "br")
        assert response.headers["X-Content-Type-Options"] == "nosniff", filename
        # A stylesheet's policy governs what it fetches; a page's script follows the page's.
        referrer_policy = None if filename.endswith(".js") else "no-referrer"
        assert response.headers.get("Referrer-Policy") == referrer_policy, filename
        assert "Content-Security-Policy" not in response.headers, filename
        assert "X-Frame-Options" not in response.headers, filename


def test_redirects_and_the_manifest_go_without_them_too_but_keep_no_store(app, client, db, patient):
    from tests.conftest import csrf_from, enrollment_token

    manifest = get(client, "/manifest.webmanifest", "br")
    assert "Content-Security-Policy" not in manifest.headers
    assert manifest.headers["X-Content-Type-Options"] == "nosniff"
    token = enrollment_token(db, patient)
    page = client.get(f"/enroll/{token}")
    redirect = client.post(f"/enroll/{token}", data={"csrf_token": csrf_from(page.text)})
    assert redirect.status_code == 303
    assert "Content-Security-Policy" not in redirect.headers
    assert redirect.headers["Cache-Control"] == "no-store"


def test_pages_go_without_their_indentation(phone):
    page = phone.client.get("/today").get_data(as_text=True)
    assert "<h1" in page
    assert not re.search(r"\n[ \t\n]", page), "indentation or a blank line was sent"


def test_text_in_a_text_box_or_pre_keeps_its_own_line_breaks_and_spaces():
    from aftercare.compression import without_indentation

    page = (
        "<p>\n    One\n\n  two</p>\n  <textarea>\r\n  kept\n\n  as typed</textarea>\n"
        " <PRE>\n  x</PRE>"
    )
    assert without_indentation(page) == (
        "<p>\nOne\ntwo</p>\n<textarea>\r\n  kept\n\n  as typed</textarea>\n<PRE>\n  x</PRE>"
    )


def test_a_patients_page_is_compressed_densely_for_a_weak_signal(phone):
    page = phone.client.get("/check-in", headers={"Accept-Encoding": "br"})
    html = brotli.decompress(page.data)
    assert b"check-in-form" in html and len(html) <= DENSE_UP_TO
    assert len(page.data) == len(brotli.compress(html, quality=DENSE_QUALITY))
    assert len(page.data) < len(brotli.compress(html, quality=5))
    assert page.headers["Content-Length"] == str(len(page.data))
    assert "Accept-Encoding" in page.headers["Vary"]
    # A browser that takes only gzip still gets gzip.
    gzipped = phone.client.get("/check-in", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["Content-Encoding"] == "gzip"
