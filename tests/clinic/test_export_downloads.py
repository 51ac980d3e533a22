"""Exports downloaded from a real server (waitress as `aftercare run` starts it, then gunicorn),
as a clinician's browser or curl would: whole, byte for byte, safe to open, or visibly cut off.

The Flask test client keeps the request open while it reads a streamed body; these servers do
not, which is where a download that reads the database after the view has returned breaks.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import timedelta
from itertools import islice
from typing import Any

import pytest
import requests
from sqlalchemy import insert, select

from aftercare.care.symptoms import SYMPTOMS
from aftercare.models import Appointment, AuditEvent, CheckIn, Clinic, Patient, utcnow
from tests.conftest import PASSWORD, csrf_from
from tests.servers import Served

PATIENTS = 10_000
# One patient with more check-ins than a page holds, for the per-patient exports.
REGULAR_CHECK_INS = 1_200
HTTP_TIMEOUT_S = 60
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

NOTES = (
    "",
    "Head hurts, otherwise fine.",
    'Felt "floaty", then sick,\nthen fine.\r\nSlept 9 hours, ok',
    "fine;=cmd|' /C calc'!A0",
    '=HYPERLINK("http://x")',
    "Dormí mal; mañana mejor. Zoë 😊",
    "-2 better, +1 worse; @home",
)


def signed_in(served: Served, email: str) -> requests.Session:
    """A browser-like session signed in to the real server as the clinician."""
    session = requests.Session()
    page = session.get(f"{served.url}/clinic/login", timeout=HTTP_TIMEOUT_S)
    response = session.post(
        f"{served.url}/clinic/login",
        data={"csrf_token": csrf_from(page.text), "email": email, "password": PASSWORD},
        allow_redirects=False,
        timeout=HTTP_TIMEOUT_S,
    )
    assert response.status_code == 302, response.status_code
    return session


def add_patients(db, clinic: Clinic, count: int, name: str = "Patient {:05d}") -> list[int]:  # noqa: ANN001
    """Patients added in one statement, as fast as the database takes them."""
    rows = [{"clinic_id": clinic.id, "display_name": name.format(n)} for n in range(count)]
    statement = insert(Patient).returning(Patient.id, sort_by_parameter_order=True)
    return list(db.session.scalars(statement, rows))


def check_in_values(n: int, patient_id: int, **fields: Any) -> dict[str, Any]:
    """A check-in, varied by n: notes with commas, quotes, line breaks, formulas, accents.

    Three check-ins share each second, so pages of the export end in the middle of ties.
    """
    received = utcnow().replace(microsecond=0) - timedelta(days=30) + timedelta(seconds=n // 3)
    values = {
        "patient_id": patient_id,
        "idempotency_key": f"seed-{n}",
        "received_at": received,
        "filled_at": None if n % 5 == 0 else received - timedelta(minutes=n % 40),
        "severities": {s.code: (n + i) % 4 if s.graded else 0 for i, s in enumerate(SYMPTOMS)},
        "systolic": None if n % 7 == 0 else 100 + n % 60,
        "diastolic": None if n % 7 == 0 else 60 + n % 30,
        "heart_rate": 50 + n % 70,
        "got_home_safely": (None, True, False)[n % 3],
        "note": NOTES[n % len(NOTES)],
        "hours_since_infusion": None if n % 11 == 0 else n % 200 / 4,
        "triage_level": ("expected", "call_clinic", "emergency")[n % 3],
        "triage_reasons": [] if n % 3 == 0 else ["headache", "bp_high"][: n % 3],
    }
    return values | fields


def add_check_ins(db, rows: list[dict[str, Any]]) -> None:  # noqa: ANN001
    db.session.execute(insert(CheckIn), rows)


@pytest.fixture
def busy_clinic(db, clinic: Clinic) -> int:  # noqa: ANN001
    """10,000 patients with a check-in each, and one regular with 1,200; the regular's id."""
    patients = add_patients(db, clinic, PATIENTS)
    (regular,) = add_patients(db, clinic, 1, name="=Regular{}")
    add_check_ins(db, [check_in_values(n, patient) for n, patient in enumerate(patients)])
    add_check_ins(
        db,
        [check_in_values(PATIENTS + n, regular) for n in range(REGULAR_CHECK_INS)],
    )
    starts = utcnow().replace(microsecond=0)
    db.session.execute(
        insert(Appointment),
        [
            {
                "clinic_id": clinic.id,
                "patient_id": regular,
                "kind": kind,
                "starts_at": starts + shift,
                "duration_minutes": 60,
            }
            for kind, shift in (("follow_up", -timedelta(days=9)), ("booster", timedelta(days=9)))
        ],
    )
    db.session.commit()
    return regular


def without_timestamp(fhir: bytes) -> bytes:
    """The Bundle with its creation time left out: two downloads are made seconds apart."""
    return re.sub(rb'"timestamp": "[^"]+"', b'"timestamp": ""', fhir, count=1)


def test_exports_download_whole_and_byte_for_byte_as_the_test_client_makes_them(
    real_server, busy_clinic, clinician, clinician_client
):
    browser = signed_in(real_server, clinician.email)
    regular = busy_clinic
    for path, rows in (
        ("/clinic/export/check-ins.csv", PATIENTS + REGULAR_CHECK_INS),
        (f"/clinic/patients/{regular}/check-ins.csv", REGULAR_CHECK_INS),
    ):
        expected = clinician_client.get(path).data
        response = browser.get(real_server.url + path, timeout=HTTP_TIMEOUT_S)

        assert response.status_code == 200, path
        assert response.content == expected, path
        text = response.content.decode("utf-8-sig")
        assert len(list(csv.reader(io.StringIO(text, newline="")))) == 1 + rows, path

    path = f"/clinic/patients/{regular}/fhir.json"
    expected = clinician_client.get(path).data
    response = browser.get(real_server.url + path, timeout=HTTP_TIMEOUT_S)

    assert response.status_code == 200
    assert without_timestamp(response.content) == without_timestamp(expected)
    types = [entry["resource"]["resourceType"] for entry in json.loads(response.content)["entry"]]
    assert types == [
        "Patient",
        "Questionnaire",
        *["QuestionnaireResponse"] * REGULAR_CHECK_INS,
        "Appointment",
        "Appointment",
    ]


def test_a_formula_after_a_semicolon_is_quoted_and_neutralised_in_the_download(
    real_server, db, clinic, patient, clinician
):
    add_check_ins(db, [check_in_values(3, patient.id, note="fine;=cmd|' /C calc'!A0")])
    db.session.commit()
    browser = signed_in(real_server, clinician.email)

    response = browser.get(
        f"{real_server.url}/clinic/patients/{patient.id}/check-ins.csv", timeout=HTTP_TIMEOUT_S
    )

    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    header, row = csv.reader(io.StringIO(text, newline=""))
    assert row[header.index("Note")] == "fine;'=cmd|' /C calc'!A0"
    # Every cell quoted, quotes doubled: the file is exactly what QUOTE_ALL writes.
    for line, cells in zip(text.split("\r\n"), (header, row), strict=False):
        assert line == ",".join('"' + cell.replace('"', '""') + '"' for cell in cells)
    # Read as a spreadsheet set to any list separator would, splitting every line at it
    # whatever the quotes: no cell starts with a formula.
    for separator in (",", ";", "\t"):
        for line in text.splitlines():
            for cell in line.split(separator):
                assert not cell.strip(' "').startswith(FORMULA_TRIGGERS), (separator, cell)


def test_a_date_at_the_end_of_the_calendar_is_a_clear_400(real_server, patient, clinician):
    browser = signed_in(real_server, clinician.email)
    for path in (
        "/clinic/export/check-ins.csv",
        f"/clinic/patients/{patient.id}/check-ins.csv",
        f"/clinic/patients/{patient.id}/fhir.json",
    ):
        for name in ("from", "to"):
            url = f"{real_server.url}{path}?{name}=9999-12-31"
            response = browser.get(url, timeout=HTTP_TIMEOUT_S)

            assert response.status_code == 400, url
            assert f"'{name}' must be a date from 2000-01-01 to 2099-12-31" in response.text


def wait_for_audit(db, action: str) -> AuditEvent | None:  # noqa: ANN001
    """The audit row the server writes as a download ends, once it is there."""
    deadline = time.monotonic() + 10
    while True:
        db.session.rollback()  # a fresh look at what the server wrote
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == action))
        if event is not None or time.monotonic() > deadline:
            return event
        time.sleep(0.1)


def download_until_cut_off(browser: requests.Session, url: str) -> tuple[int, bytes, str | None]:
    """Status, the bytes that arrived, and the request id, of a download that must break off."""
    received = b""
    with (
        pytest.raises(requests.exceptions.ChunkedEncodingError),
        browser.get(url, stream=True, timeout=HTTP_TIMEOUT_S) as response,
    ):
        for chunk in islice(response.iter_content(chunk_size=None), 10_000):
            received += chunk
    return response.status_code, received, response.headers.get("X-Request-ID")


def test_an_export_that_fails_midway_is_cut_off_logged_and_audited_as_incomplete(
    real_server, db, clinic, clinician
):
    (patient_id,) = add_patients(db, clinic, 1, name="Zebedee Quartermaine")
    rows = [check_in_values(n, patient_id, note="private words") for n in range(1_000)]
    # A check-in the exports cannot format, two pages in: a severity that is not a number.
    rows[700]["severities"] = {"headache": "not a number"}
    add_check_ins(db, rows)
    db.session.commit()
    browser = signed_in(real_server, clinician.email)

    for export, action in (("check-ins.csv", "export.csv"), ("fhir.json", "export.fhir")):
        url = f"{real_server.url}/clinic/patients/{patient_id}/{export}"
        status, received, request_id = download_until_cut_off(browser, url)

        # The client got part of the file, then the connection closed without the last chunk.
        assert status == 200 and len(received) > 0, export
        ended = wait_for_audit(db, f"{action}.incomplete")
        assert ended is not None, real_server.output()
        started = db.session.scalar(select(AuditEvent).where(AuditEvent.action == action))
        assert ended.detail["completed"] is False
        assert ended.detail["export_event_id"] == started.id
        assert ended.detail["reason"] == "error"
        assert ended.patient_id == patient_id and ended.actor == f"clinician:{clinician.id}"
        completed = select(AuditEvent).where(AuditEvent.action == f"{action}.completed")
        assert db.session.scalar(completed) is None
        log = real_server.output()
        (line,) = [line for line in log.splitlines() if f"{action} did not complete" in line]
        assert "ValueError" in line and f"audit event {started.id}" in line
        if request_id:  # where the app gives requests ids, the line carries the response's
            assert f"request {request_id}" in line

    log = real_server.output()
    assert "Zebedee" not in log and "private words" not in log and "not a number" not in log
