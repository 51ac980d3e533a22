"""The installable, offline-capable app: manifest, service worker, security headers."""

from __future__ import annotations

import re

from aftercare.pwa.views import PRECACHE


def test_the_manifest_makes_an_installable_app(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = response.json
    assert manifest["name"] and manifest["short_name"]
    assert manifest["start_url"] == "/today" and manifest["display"] == "standalone"
    assert manifest["theme_color"].startswith("#")
    icons = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert icons == {
        ("192x192", "any"),
        ("512x512", "any"),
        ("192x192", "maskable"),
        ("512x512", "maskable"),
    }
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.data[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(image.data[16:20], "big")
        assert f"{width}x{width}" == icon["sizes"]


def test_the_service_worker_is_served_at_the_root_with_its_files_to_keep(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.text
    assert "__PRECACHE__" not in body and "__VERSION__" not in body
    kept = re.search(r"var PRECACHE ?= ?(\[.*?\]);", body).group(1)  # minified or not
    for name in PRECACHE:
        assert f"/static/{name}?v=" in kept
        url = re.search(rf'"(/static/{re.escape(name)}\?v=[^"]+)"', kept).group(1)
        assert client.get(url).status_code == 200
    assert '"/offline"' in kept


def test_a_changed_static_file_gets_a_new_address(app, tmp_path):
    from flask import render_template_string

    from aftercare.pwa import views

    with app.test_request_context():
        before = render_template_string("{{ asset('css/app.css') }}")
    views._file_digest.cache_clear()
    assert re.fullmatch(r"/static/css/app.css\?v=[0-9a-f]{12}", before)


def test_every_response_carries_strict_security_headers(client, phone):
    for response in (
        client.get("/"),
        phone.client.get("/today"),
        client.get("/clinic/login"),
        client.get("/nowhere"),
    ):
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "camera=()" in headers["Permissions-Policy"]
        # Chromium logs an error for a feature it does not know, as it is for this one.
        assert "interest-cohort" not in headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in headers  # plain HTTP here


def test_pages_have_no_inline_script_or_style(phone, clinician_client, patient):
    pages = [phone.client.get(p).text for p in ("/today", "/check-in", "/help")]
    pages.append(clinician_client.get(f"/clinic/patients/{patient.id}").text)
    for page in pages:
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page)
        assert " style=" not in page and "<style" not in page
        assert " on" + "click=" not in page


def test_behind_https_cookies_are_secure_and_hsts_is_sent(app, client, db, patient):
    from tests.conftest import csrf_from, enrollment_token

    # What AFTERCARE_HTTPS=1 sets (see aftercare/config.py); both are read per response.
    app.config.update(HTTPS=True, SESSION_COOKIE_SECURE=True)
    token = enrollment_token(db, patient)
    page = client.get(f"/enroll/{token}", base_url="https://localhost")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Secure" in page.headers["Set-Cookie"]
    response = client.post(
        f"/enroll/{token}", base_url="https://localhost", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 303, response.text
    device_cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("aftercare_device=")
    )
    assert "Secure" in device_cookie and "HttpOnly" in device_cookie


def test_an_oversized_request_is_refused(phone):
    response = phone.client.post("/check-in", data={"note": "x" * 100_000})
    assert response.status_code == 413


def test_a_post_from_another_site_is_refused(phone, db):
    from aftercare.models import CheckIn
    from tests.conftest import csrf_from

    page = phone.client.get("/check-in")
    form = {
        "csrf_token": csrf_from(page.text),
        "idempotency_key": "cross-site-0001",
        "feel_fine": "y",
    }
    refused = phone.client.post("/check-in", data=form, headers={"Origin": "https://evil.test"})
    assert refused.status_code == 400
    accepted = phone.client.post("/check-in", data=form, headers={"Origin": "http://localhost"})
    assert accepted.status_code == 303
    assert db.session.query(CheckIn).count() == 1
