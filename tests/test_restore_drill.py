"""The restore drill, as an operator would run it, with the app serving real HTTP throughout.

Phones post check-ins (some with red flags, so alerts and audit rows are written) to
`aftercare run`; in the middle of the stream `aftercare backup` runs as its own process; the
backup is restored into a fresh data folder (and, on the PostgreSQL pass, a fresh database);
the app starts on what was restored, and a clinician signs in and sees the patients.
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.pool import NullPool

from aftercare.backups.inventory import count_rows
from aftercare.care.triage import Level
from aftercare.extensions import db as _db
from tests.conftest import (
    PASSWORD,
    add_patient,
    book_appointment,
    csrf_from,
    enrollment_token,
)
from tests.servers import BIN, Served, serve_waitress

HTTP_TIMEOUT_S = 10
PHONES = 3
BEFORE = 12  # check-ins answered before the backup starts
AFTER = 9  # check-ins sent after it has finished
MOST_PER_PHONE = 300  # a bound on the stream, far above what the drill needs
# What the phones answer, in turn: red flags among them, so that alerts are raised.
ANSWERS = (
    {"headache": "1"},
    {"chest_pain": "y"},
    {"nausea": "2", "note": "felt sick after lunch"},
    {"suicidal_thoughts": "y"},
    {"dizziness": "1"},
)


def wait_until(condition, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Phone:
    """An enrolled phone over real HTTP."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.http = requests.Session()
        page = self.http.get(f"{base}/enroll/{token}", timeout=HTTP_TIMEOUT_S)
        linked = self.http.post(
            f"{base}/enroll/{token}",
            data={"csrf_token": csrf_from(page.text)},
            allow_redirects=False,
            timeout=HTTP_TIMEOUT_S,
        )
        assert linked.status_code == 303, linked.text
        self.csrf = csrf_from(self.http.get(f"{base}/check-in", timeout=HTTP_TIMEOUT_S).text)

    def check_in(self, key: str, answers: dict[str, str]) -> requests.Response:
        return self.http.post(
            f"{self.base}/check-in",
            data={"csrf_token": self.csrf, "idempotency_key": key, **answers},
            headers={"Accept": "application/json"},
            timeout=HTTP_TIMEOUT_S,
        )


@dataclass(frozen=True)
class Sent:
    key: str
    started: float
    answered: float
    status: int


class CheckInStream:
    """Every phone posting check-ins one after another, each in its own thread, until stopped."""

    def __init__(self, phones: list[Phone]) -> None:
        self.sent: list[Sent] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(p,)) for p in phones]

    def _run(self, phone: Phone) -> None:
        for number in range(MOST_PER_PHONE):
            if self._stop.is_set():
                return
            key = uuid.uuid4().hex
            started = time.monotonic()
            try:
                status = phone.check_in(key, ANSWERS[number % len(ANSWERS)]).status_code
            except requests.RequestException as error:
                with self._lock:
                    self.errors.append(repr(error))
                continue
            with self._lock:
                self.sent.append(Sent(key, started, time.monotonic(), status))
            self._stop.wait(0.02)  # a little time between submissions, as people take

    def count(self, which) -> int:  # noqa: ANN001
        with self._lock:
            return sum(1 for sent in self.sent if which(sent))

    def __enter__(self) -> CheckInStream:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=HTTP_TIMEOUT_S + 5)


def operator_environment(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """The settings the server runs with, as an operator's backup or restore job has them."""
    env = {
        **os.environ,
        "AFTERCARE_DATA_DIR": str(data_dir),
        "AFTERCARE_SECRET_KEY": "test-secret-key",
        "AFTERCARE_DEMO": "0",
    }
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def aftercare(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(BIN / "aftercare"), *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def rows(engine: Engine, table: str) -> dict[int, dict]:
    """Every row of a table, by id, read through the models' column types."""
    columns = _db.metadata.tables[table]
    with engine.connect() as connection:
        return {row.id: dict(row._mapping) for row in connection.execute(select(columns))}


# Tables that nothing writes while the phones check in: restored whole, they must be equal.
UNCHANGING = ("clinic", "clinician", "infusion", "appointment", "reminder", "enrollment_link")


def signed_in_dashboard(served: Served) -> str:
    browser = requests.Session()
    page = browser.get(f"{served.url}/clinic/login", timeout=HTTP_TIMEOUT_S)
    form = {"csrf_token": csrf_from(page.text), "email": "nurse@riverside.test"}
    answer = browser.post(
        f"{served.url}/clinic/login", data=form | {"password": PASSWORD}, timeout=HTTP_TIMEOUT_S
    )
    assert answer.status_code == 200 and answer.url == f"{served.url}/clinic/", answer.url
    return answer.text


def test_a_backup_taken_while_check_ins_stream_in_restores_to_a_consistent_working_app(
    app, db, databases, clinic, clinician, tmp_path, empty_database_url
):
    patients = [add_patient(db, clinic, f"Drill Patient {n}") for n in range(PHONES)]
    for patient in patients:
        book_appointment(db, patient, "follow_up", timedelta(days=3))
    db.session.commit()
    tokens = [enrollment_token(db, patient) for patient in patients]
    names = [patient.display_name for patient in patients]
    source_url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    backups = tmp_path / "backups"
    backups.mkdir()
    keys = tmp_path / "aftercare-keys.json"

    with serve_waitress(source_url, tmp_path, tmp_path / "source.log") as source:
        enrolled = [Phone(source.url, token) for token in tokens]
        with CheckInStream(enrolled) as stream:
            wait_until(lambda: stream.count(lambda s: True) >= BEFORE, 60, "check-ins before")
            backup_started = time.monotonic()
            made = aftercare(
                "backup",
                str(backups),
                "--keys",
                str(keys),
                env=operator_environment(tmp_path, source_url),
            )
            backup_finished = time.monotonic()
            wait_until(
                lambda: stream.count(lambda s: s.started > backup_finished) >= AFTER,
                60,
                "check-ins after the backup",
            )
        device_cookie = enrolled[0].http.cookies["aftercare_device"]

    assert stream.errors == []
    assert {sent.status for sent in stream.sent} == {201}
    # The app went on answering while the backup ran: it took nothing offline.
    assert stream.count(lambda s: backup_started < s.answered < backup_finished) >= 1
    [backup] = backups.iterdir()
    assert "Backup written to" in made.stdout

    # Restore as an operator would: a fresh data folder, and on PostgreSQL a fresh database.
    restored_dir = tmp_path / "restored"
    on_postgresql = databases.name == "postgresql"
    restored_url = (
        empty_database_url if on_postgresql else f"sqlite:///{restored_dir / 'aftercare.sqlite3'}"
    )
    aftercare(
        "restore",
        str(backup),
        "--keys",
        str(keys),
        env=operator_environment(restored_dir, empty_database_url if on_postgresql else None),
    )

    with tarfile.open(backup) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    source_engine = create_engine(source_url, poolclass=NullPool)
    restored_engine = create_engine(restored_url, poolclass=NullPool)
    try:
        with restored_engine.connect() as connection:
            assert count_rows(connection) == manifest["rows"]
        compared = (*UNCHANGING, "patient", "check_in", "alert", "audit_event")
        source_rows = {table: rows(source_engine, table) for table in compared}
        restored_rows = {table: rows(restored_engine, table) for table in compared}
    finally:
        source_engine.dispose()
        restored_engine.dispose()

    # What the source held at the backup's moment: everything answered before the backup
    # started, nothing sent after it finished, and only check-ins the phones were told about.
    answered = {sent.key for sent in stream.sent}
    before = {sent.key for sent in stream.sent if sent.answered < backup_started}
    after = {sent.key for sent in stream.sent if sent.started > backup_finished}
    restored_keys = {row["idempotency_key"] for row in restored_rows["check_in"].values()}
    assert before <= restored_keys <= answered
    assert not restored_keys & after
    assert len(restored_keys) == len(restored_rows["check_in"]) == manifest["rows"]["check_in"]

    # Each restored row is the source's row, as it was written.
    for table in ("check_in", "alert", "audit_event"):
        for row_id, row in restored_rows[table].items():
            assert row == source_rows[table][row_id], (table, row_id)
    for table in UNCHANGING:
        assert restored_rows[table] == source_rows[table], table
    for row_id, row in source_rows["patient"].items():
        assert restored_rows["patient"][row_id]["display_name"] == row["display_name"]

    # Every check-in with its alert and its audit row, or none of them.
    check_ins = restored_rows["check_in"]
    audited = sorted(
        row["detail"]["check_in_id"]
        for row in restored_rows["audit_event"].values()
        if row["action"] == "check_in.create"
    )
    assert audited == sorted(check_ins)
    alerted = sorted(row["check_in_id"] for row in restored_rows["alert"].values())
    should_alert = sorted(i for i, row in check_ins.items() if Level(row["triage_level"]).is_alert)
    assert alerted == should_alert
    assert len(alerted) >= 2  # red flags were among what was restored

    # The app starts on what was restored: the clinician signs in and sees the patients, and
    # a phone linked before the backup is still linked.
    with serve_waitress(restored_url, restored_dir, tmp_path / "restored.log") as restored:
        dashboard = signed_in_dashboard(restored)
        for name in names:
            assert name in dashboard
        phone = requests.Session()
        phone.cookies.set("aftercare_device", device_cookie)
        assert phone.get(f"{restored.url}/today", timeout=HTTP_TIMEOUT_S).status_code == 200
