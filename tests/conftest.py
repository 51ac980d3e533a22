"""Shared fixtures: an app on a migrated database of its own, and the people in the stories."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import email_validator
import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from aftercare import create_app
from aftercare.enrollment import create_link
from aftercare.extensions import db as _db
from aftercare.models import Appointment, Clinic, Clinician, Infusion, Patient, utcnow
from aftercare.reminders.rows import plan_appointment
from tests.databases import (
    SERVER_VARIABLE,
    PostgresDatabases,
    SQLiteDatabases,
    databases_for_this_run,
)
from tests.servers import Served, serve_gunicorn, serve_waitress

TestDatabases = SQLiteDatabases | PostgresDatabases

PASSWORD = "correct horse battery staple"

# The people in these tests have addresses in the reserved .test domain, which email-validator
# refuses in production and accepts in its test mode.
email_validator.TEST_ENVIRONMENT = True


class RequestScopedClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    Tests hold an app context to use the database; without this, requests would share its
    `g` (and CSRFProtect's "already validated" flag would leak from one request to the next).
    """

    def open(self, *args: object, **kwargs: object):  # noqa: ANN201
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        _db.session.expire_all()  # the test's own session sees what the request wrote
        return response


def make_app(data_dir: Path, database_url: str, **extra: object) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATA_DIR": data_dir,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "DEMO": False,
    }
    config.update(extra)
    app = create_app(config)
    app.test_client_class = RequestScopedClient
    return app


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # load_config() reads these before the test's config is laid over it; keep it off the
    # developer's instance/ folder.
    monkeypatch.setenv("AFTERCARE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AFTERCARE_SECRET_KEY", "test-secret-key")
    monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabases]:
    """SQLite files, or PostgreSQL databases when AFTERCARE_TEST_DATABASE_URL names a server."""
    folder = tmp_path_factory.mktemp("template")
    databases = databases_for_this_run(folder)

    def migrate(url: str) -> None:
        app = make_app(folder, url)
        with app.app_context():
            upgrade()
            # Closing the last connection folds SQLite's write-ahead log into the file we
            # copy, and PostgreSQL copies no template that has a connection open.
            _db.session.remove()
            _db.engine.dispose()

    databases.set_template(migrate)
    yield databases
    databases.close()


@pytest.fixture
def database_url(tmp_path: Path, databases: TestDatabases) -> Iterator[str]:
    """A database of this test's own, at the newest schema."""
    url = databases.migrated(tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture
def empty_database_url(tmp_path: Path, databases: TestDatabases) -> Iterator[str]:
    """A database of this test's own with no tables, for migration tests."""
    url = databases.empty(tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    app = make_app(tmp_path, database_url)
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def server_env() -> dict[str, str]:
    """Extra environment for the real servers below. A test that needs a setting overrides it:
    `@pytest.mark.parametrize("server_env", [{"AFTERCARE_BASE_URL": "https://..."}])`."""
    return {}


@pytest.fixture
def waitress(app: Flask, tmp_path: Path, server_env: dict[str, str]) -> Iterator[Served]:
    """`aftercare run` (waitress) in its own process, on the test's database."""
    with serve_waitress(
        app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, tmp_path / "waitress.log", env=server_env
    ) as served:
        yield served


@pytest.fixture
def gunicorn(app: Flask, tmp_path: Path, server_env: dict[str, str]) -> Iterator[Served]:
    """gunicorn with two workers and the production settings, on the test's database."""
    with serve_gunicorn(
        app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, tmp_path / "gunicorn.log", env=server_env
    ) as served:
        yield served


@pytest.fixture(params=["waitress", "gunicorn"])
def real_server(request: pytest.FixtureRequest) -> Served:
    """Each real server in turn: waitress as `aftercare run` starts it, then gunicorn."""
    return request.getfixturevalue(request.param)


@pytest.fixture
def db(app: Flask):  # noqa: ANN201
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # noqa: ANN201
    return app.test_cli_runner()


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The first word of each SQL statement run in the block, and "COMMIT" where one ended."""
    seen: list[str] = []

    def executed(conn, cursor, statement: str, *args: object) -> None:  # noqa: ANN001
        seen.append(statement.split(None, 1)[0].upper())

    def committed(conn) -> None:  # noqa: ANN001
        seen.append("COMMIT")

    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine, "commit", committed)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        event.remove(engine, "commit", committed)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def clinic(db) -> Clinic:  # noqa: ANN001
    clinic = Clinic(
        name="Riverside Ketamine Clinic",
        timezone="America/New_York",
        phone="555-0100",
        after_hours_phone="555-0199",
    )
    db.session.add(clinic)
    db.session.commit()
    return clinic


@pytest.fixture
def other_clinic(db) -> Clinic:  # noqa: ANN001
    clinic = Clinic(name="Hillside Clinic", timezone="America/Los_Angeles", phone="555-0200")
    db.session.add(clinic)
    db.session.commit()
    return clinic


def add_clinician(db, clinic: Clinic, email: str, role: str = "clinician") -> Clinician:  # noqa: ANN001
    clinician = Clinician(clinic_id=clinic.id, email=email, name=email.split("@")[0], role=role)
    clinician.set_password(PASSWORD)
    db.session.add(clinician)
    db.session.commit()
    return clinician


@pytest.fixture
def clinician(db, clinic: Clinic) -> Clinician:  # noqa: ANN001
    return add_clinician(db, clinic, "nurse@riverside.test")


@pytest.fixture
def colleague(db, clinic: Clinic) -> Clinician:  # noqa: ANN001
    return add_clinician(db, clinic, "doctor@riverside.test")


@pytest.fixture
def other_clinician(db, other_clinic: Clinic) -> Clinician:  # noqa: ANN001
    return add_clinician(db, other_clinic, "nurse@hillside.test")


def add_patient(db, clinic: Clinic, name: str, hours_ago: float | None = 1.0) -> Patient:  # noqa: ANN001
    patient = Patient(clinic_id=clinic.id, display_name=name)
    db.session.add(patient)
    db.session.flush()
    if hours_ago is not None:
        ended = utcnow() - timedelta(hours=hours_ago)
        db.session.add(
            Infusion(
                patient_id=patient.id, started_at=ended - timedelta(minutes=50), ended_at=ended
            )
        )
        patient.note_infusion(ended)
    db.session.commit()
    return patient


@pytest.fixture
def patient(db, clinic: Clinic) -> Patient:  # noqa: ANN001
    return add_patient(db, clinic, "Alex")


@pytest.fixture
def second_patient(db, clinic: Clinic) -> Patient:  # noqa: ANN001
    return add_patient(db, clinic, "Blair")


@pytest.fixture
def other_clinic_patient(db, other_clinic: Clinic) -> Patient:  # noqa: ANN001
    return add_patient(db, other_clinic, "Casey")


def book_appointment(db, patient: Patient, kind: str, starts_in: timedelta) -> Appointment:  # noqa: ANN001
    """An appointment for the patient with its reminders planned, as the clinic's form makes
    it; the caller commits."""
    appointment = Appointment(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind=kind,
        starts_at=utcnow() + starts_in,
    )
    db.session.add(appointment)
    db.session.flush()
    plan_appointment(appointment)
    return appointment


def enrollment_token(db, patient: Patient, days: int = 7) -> str:  # noqa: ANN001
    _, token = create_link(patient, None, days=days)
    db.session.commit()
    return token


def enroll(client: FlaskClient, token: str):  # noqa: ANN201
    page = client.get(f"/enroll/{token}")
    assert page.status_code == 200, page.status_code
    return client.post(f"/enroll/{token}", data={"csrf_token": csrf_from(page.text)})


@dataclass
class PatientPhone:
    """A test client holding an enrolled device's cookie."""

    client: FlaskClient
    patient: Patient

    def check_in(self, **answers: object):  # noqa: ANN201
        page = self.client.get("/check-in")
        form = {
            "csrf_token": csrf_from(page.text),
            "idempotency_key": answers.pop("idempotency_key", None)
            or re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page.text).group(1),
        }
        # As a patient who ticks "None of these" after their answers: the graded questions not
        # named here are a clear "No". Pass none_of_these="" to leave them unanswered.
        answers.setdefault("none_of_these", "y")
        form.update({k: str(v) for k, v in answers.items()})
        return self.client.post("/check-in", data=form, headers=answers.pop("headers", None) or {})


@pytest.fixture
def phone(app: Flask, db, patient: Patient) -> PatientPhone:  # noqa: ANN001
    client = app.test_client()
    response = enroll(client, enrollment_token(db, patient))
    assert response.status_code == 303
    return PatientPhone(client, patient)


@pytest.fixture
def second_phone(app: Flask, db, second_patient: Patient) -> PatientPhone:  # noqa: ANN001
    client = app.test_client()
    assert enroll(client, enrollment_token(db, second_patient)).status_code == 303
    return PatientPhone(client, second_patient)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD):  # noqa: ANN201
    page = client.get("/clinic/login")
    return client.post(
        "/clinic/login",
        data={"csrf_token": csrf_from(page.text), "email": email, "password": password},
    )


def add_admin(db, clinic: Clinic, email: str) -> Clinician:  # noqa: ANN001
    """An admin of the clinic, with two-factor sign-in set up (admins must have it)."""
    from aftercare.clinic import twofactor

    person = add_clinician(db, clinic, email, role="admin")
    person.test_totp_secret = secret = twofactor.new_secret()  # type: ignore[attr-defined]
    code = pyotp.TOTP(secret).at(utcnow() - timedelta(seconds=30))
    assert twofactor.enable(person, secret, code) is not None
    db.session.commit()
    return person


@pytest.fixture
def admin(db, clinic: Clinic) -> Clinician:  # noqa: ANN001
    return add_admin(db, clinic, "admin@riverside.test")


def sign_in_with_code(client: FlaskClient, person: Clinician):  # noqa: ANN201
    """Password, then the authenticator app's current code."""
    response = sign_in(client, person.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/verify")
    page = client.get("/clinic/login/verify")
    code = pyotp.TOTP(person.test_totp_secret).now()  # type: ignore[attr-defined]
    return client.post(
        "/clinic/login/verify", data={"csrf_token": csrf_from(page.text), "code": code}
    )


@pytest.fixture
def admin_client(app: Flask, admin: Clinician) -> FlaskClient:
    client = app.test_client()
    assert sign_in_with_code(client, admin).status_code == 302
    return client


@pytest.fixture
def clinician_client(app: Flask, clinician: Clinician) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, clinician.email).status_code == 302
    return client


@pytest.fixture
def other_clinician_client(app: Flask, other_clinician: Clinician) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, other_clinician.email).status_code == 302
    return client


def pytest_report_header() -> str:
    server = os.environ.get(SERVER_VARIABLE)
    return (
        f"databases: PostgreSQL at {make_url(server).render_as_string()}"
        if server
        else ("databases: SQLite")
    )
