"""The production layout: gunicorn with several workers on the test's database, and its logs."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from aftercare.logs import GunicornLogger, redact_path
from tests.conftest import enrollment_token, statements
from tests.servers import get


def test_gunicorn_serves_the_app_with_several_workers(gunicorn):
    base, log = gunicorn.url, gunicorn.log
    assert get(f"{base}/healthz") == (200, '{"status":"ok"}\n')
    status, page = get(f"{base}/clinic/login")
    assert status == 200 and "Sign in" in page
    workers = set(re.findall(r"Booting worker with pid: (\d+)", log.read_text()))
    assert len(workers) == 2


def test_a_health_check_asks_the_database_one_thing_even_from_a_patients_phone(phone, db):
    with statements(db.engine) as seen:
        assert phone.client.get("/healthz").status_code == 200
    assert seen == ["SELECT"]


def test_the_access_log_keeps_no_token(gunicorn, db, patient):
    base, log = gunicorn.url, gunicorn.log
    token = enrollment_token(db, patient)
    assert get(f"{base}/enroll/{token}?from=sms")[0] == 200
    assert get(f"{base}/c/{token}")[0] == 404
    deadline = time.monotonic() + 10
    while "/c/[token]" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    text = log.read_text()
    assert '"GET /enroll/[token] HTTP/1.1" 200' in text
    assert '"GET /c/[token] HTTP/1.1" 404' in text
    assert token not in text and "from=sms" not in text


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/enroll/abc-DEF_123", "/enroll/[token]"),
        ("/c/abc?x=1", "/c/[token]"),
        ("/clinic/invite/abc/", "/clinic/invite/[token]/"),
        ("/today?lang=es", "/today"),
        ("/checkins", "/checkins"),
    ],
)
def test_paths_are_logged_without_tokens_or_query_strings(path, logged):
    assert redact_path(path) == logged


def test_no_header_or_cookie_reaches_the_access_log():
    class Response:
        status = "200 OK"
        sent = 12
        headers = [("Set-Cookie", "aftercare_session=secret")]

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/enroll/secret-token?x=y",
        "PATH_INFO": "/enroll/secret-token",
        "QUERY_STRING": "x=y",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_COOKIE": "aftercare_session=secret",
        "HTTP_REFERER": "http://127.0.0.1/enroll/secret-token",
    }
    request = [("COOKIE", "aftercare_session=secret")]
    duration = type("Delta", (), {"seconds": 0, "microseconds": 5})()
    logger = GunicornLogger.__new__(GunicornLogger)
    atoms = GunicornLogger.atoms(logger, Response(), request, environ, duration)
    assert "secret" not in repr(atoms)
    assert atoms["r"] == "GET /enroll/[token] HTTP/1.1"


def test_a_failed_statement_keeps_its_parameters_out_of_the_error(app, db):
    with pytest.raises(SQLAlchemyError) as failure:
        db.session.execute(
            text("INSERT INTO no_such_table (note) VALUES (:note)"), {"note": "I felt unsafe"}
        )
    db.session.rollback()
    assert "no_such_table" in str(failure.value)
    assert "I felt unsafe" not in str(failure.value)
