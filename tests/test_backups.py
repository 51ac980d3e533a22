"""`aftercare backup` and `aftercare restore`: what a backup holds, and what a restore refuses.

The restore drill, with the app serving and check-ins streaming in, is in test_restore_drill.py.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import stat
import subprocess
import tarfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
import requests
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from aftercare.backups.postgres import PostgresError, find_tool
from aftercare.extensions import db as _db
from aftercare.models import AuditEvent, CheckIn, Clinic, Patient, utcnow
from aftercare.reminders.vapid import load_vapid
from tests.conftest import (
    PASSWORD,
    TestDatabases,
    add_patient,
    book_appointment,
    csrf_from,
    make_app,
)
from tests.databases import SERVER_VARIABLE
from tests.postgres_server import postgres_bin
from tests.servers import BIN, serve_waitress

AFTERCARE = BIN / "aftercare"
postgresql_pass_only = pytest.mark.skipif(
    not os.environ.get(SERVER_VARIABLE),
    reason="runs once, in the PostgreSQL pass of scripts/test",
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def manifest_of(backup: Path) -> dict:
    with tarfile.open(backup) as tar:
        return json.load(tar.extractfile("manifest.json"))


def row_count(url: str, table: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture
def another_empty_database(tmp_path: Path, databases: TestDatabases) -> Iterator[str]:
    """A second empty database, in a folder of its own (SQLite) or on the same server."""
    folder = tmp_path / "another"
    folder.mkdir()
    url = databases.empty(folder)
    yield url
    databases.drop(url)


@pytest.fixture
def target(tmp_path: Path, empty_database_url: str) -> Iterator[Flask]:
    """The app of a fresh data folder and an empty database, to restore into."""
    app = make_app(tmp_path / "restored", empty_database_url)
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def held(db, clinic, patient, second_patient, phone) -> dict[str, int]:  # noqa: ANN001
    """A clinic with two patients, appointments with their reminders, and check-ins."""
    book_appointment(db, patient, "follow_up", timedelta(days=2))
    db.session.commit()
    phone.check_in(headache="1")
    phone.check_in(chest_pain="y")
    return {
        "patients": db.session.scalar(select(func.count(Patient.id))),
        "check_ins": db.session.scalar(select(func.count(CheckIn.id))),
    }


def said(output: str) -> str:
    """What a command printed, with its line wrapping undone."""
    return " ".join(output.split())


def back_up(app: Flask, *args: str):  # noqa: ANN201
    # In the app's own context: a command uses the app whose context is current.
    with app.app_context():
        return app.test_cli_runner().invoke(args=["backup", *args])


def restore_into(app: Flask, *args: str):  # noqa: ANN201
    with app.app_context():
        return app.test_cli_runner().invoke(args=["restore", *args])


def test_a_backup_is_private_and_says_what_is_in_it_and_what_is_not(app, db, held, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    result = back_up(app, str(folder))
    assert result.exit_code == 0, result.output
    [backup] = folder.iterdir()  # a folder gets a dated file: cron lines need no date command
    assert backup.name.startswith("aftercare-") and backup.suffix == ".tar"
    assert mode(backup) == 0o600
    assert f"Backup written to {backup}" in said(result.output)
    assert "2 patients, 2 check-ins" in said(result.output)
    assert "Not in it: the keys" in said(result.output)
    assert "aftercare backup PATH --keys KEYFILE" in said(result.output)
    with tarfile.open(backup) as tar:
        assert [(m.name, m.mode) for m in tar.getmembers()] == [
            ("manifest.json", 0o600),
            (f"database.{'sqlite3.gz' if db.engine.name == 'sqlite' else 'pgdump'}", 0o600),
        ]
    manifest = manifest_of(backup)
    assert manifest["schema"] == db.session.scalar(text("SELECT version_num FROM alembic_version"))
    assert manifest["rows"]["patient"] == held["patients"]
    assert manifest["rows"]["check_in"] == held["check_ins"]
    assert manifest["rows"]["audit_event"] == db.session.scalar(select(func.count(AuditEvent.id)))
    assert "test-secret-key" not in json.dumps(manifest)  # fingerprints only


def test_a_backup_into_a_missing_folder_is_refused_clearly(app, tmp_path):
    result = back_up(app, str(tmp_path / "nowhere" / "backup.tar"))
    assert result.exit_code == 1
    assert f"the folder {tmp_path / 'nowhere'} does not exist" in said(result.output)


def test_a_restore_brings_everything_back_into_an_empty_database(app, db, held, tmp_path, target):
    backup = tmp_path / "backup.tar"
    assert back_up(app, str(backup)).exit_code == 0
    source = {
        table: db.session.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
        for table in ("clinic", "clinician", "patient", "check_in", "alert", "reminder")
    }
    result = restore_into(target, str(backup))
    assert result.exit_code == 0, result.output
    assert "2 patients, 2 check-ins" in said(result.output)
    assert "keys the backup was made with" in said(result.output)
    with target.app_context():
        for table, rows in source.items():
            restored = _db.session.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
            assert restored == rows, table
        assert _db.session.scalar(select(func.count(Patient.id))) == held["patients"]
    if db.engine.name == "sqlite":
        restored_file = Path(make_url(target.config["SQLALCHEMY_DATABASE_URI"]).database)
        assert mode(restored_file) == 0o600  # patients' data, from the first byte


def test_a_database_that_holds_data_is_not_overwritten_unless_forced(
    app, db, held, tmp_path, clinic
):
    backup = tmp_path / "backup.tar"
    assert back_up(app, str(backup)).exit_code == 0
    add_patient(db, clinic, "Added after the backup")
    db.session.remove()
    refused = restore_into(app, str(backup))
    assert refused.exit_code == 1
    assert "already holds data (1 clinic, 0 clinicians, 3 patients" in said(refused.output)
    assert "--force" in said(refused.output)
    assert db.session.scalar(select(func.count(Patient.id))) == 3  # nothing changed
    db.session.remove()
    _db.engine.dispose()  # the app is stopped before a forced restore
    forced = restore_into(app, str(backup), "--force")
    assert forced.exit_code == 0, forced.output
    assert "It replaced what was there: 1 clinic, 0 clinicians, 3 patients" in said(forced.output)
    names = set(db.session.scalars(select(Patient.display_name)))
    assert names == {"Alex", "Blair"}


def test_an_older_backup_is_migrated_to_the_newest_schema(
    tmp_path, empty_database_url, another_empty_database
):
    old = make_app(tmp_path / "old", empty_database_url)
    with old.app_context():
        upgrade(revision="0009")
        _db.session.execute(
            text(
                "INSERT INTO clinic (name, timezone, phone, after_hours_phone, content, "
                "created_at) VALUES ('Old Clinic', 'UTC', '', '', '{}', :at)"
            ),
            {"at": utcnow().replace(tzinfo=None)},
        )
        _db.session.commit()
        _db.engine.dispose()
    backup = tmp_path / "old.tar"
    assert back_up(old, str(backup)).exit_code == 0
    assert manifest_of(backup)["schema"] == "0009"
    new = make_app(tmp_path / "new", another_empty_database)
    result = restore_into(new, str(backup))
    assert result.exit_code == 0, result.output
    with new.app_context():
        head = _db.session.scalar(text("SELECT version_num FROM alembic_version"))
        assert f"Schema 0009, migrated to {head}." in said(result.output)
        assert head != "0009"
        assert _db.session.scalar(select(Clinic.name)) == "Old Clinic"
        assert _db.session.scalar(select(Patient.language)) is None  # a column 0010 added
        _db.engine.dispose()


def rewrite(backup: Path, into: Path, **manifest_changes: object) -> None:
    """The same backup with its manifest changed, as a file made elsewhere might be."""
    with tarfile.open(backup) as tar:
        manifest = json.load(tar.extractfile("manifest.json")) | manifest_changes
        member = next(m for m in tar.getmembers() if m.name != "manifest.json")
        data = tar.extractfile(member).read()
    with tarfile.open(into, "w") as tar:
        raw = json.dumps(manifest).encode()
        for name, content in (("manifest.json", raw), (member.name, data)):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema": "9999"}, "was made by a newer version of Aftercare (schema 9999"),
        ({"sha256": "0" * 64}, "does not match its checksum: the file is damaged"),
        ({"version": 2}, "backup format 2"),
        ({"format": "something-else"}, "it has no Aftercare backup manifest"),
    ],
)
def test_a_backup_that_cannot_be_restored_is_refused_before_anything_changes(
    app, held, tmp_path, target, change, message
):
    backup = tmp_path / "backup.tar"
    assert back_up(app, str(backup)).exit_code == 0
    changed = tmp_path / "changed.tar"
    rewrite(backup, changed, **change)
    result = restore_into(target, str(changed))
    assert result.exit_code == 1
    assert message in said(result.output)
    assert row_count_or_none(target.config["SQLALCHEMY_DATABASE_URI"]) is None  # untouched


def test_a_backup_of_the_other_kind_of_database_is_refused(app, held, tmp_path, target):
    backup = tmp_path / "backup.tar"
    assert back_up(app, str(backup)).exit_code == 0
    kind = manifest_of(backup)["database"]
    other = {"sqlite": "postgresql", "postgresql": "sqlite"}[kind]
    rewrite(backup, tmp_path / "other.tar", database=other)
    result = restore_into(target, str(tmp_path / "other.tar"))
    assert result.exit_code == 1
    assert f"is a {other} backup, and DATABASE_URL names a {kind} database" in said(result.output)


def test_a_file_that_is_not_a_backup_is_refused(tmp_path, target):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    result = restore_into(target, str(junk))
    assert result.exit_code == 1
    assert "is not a backup made by `aftercare backup`" in said(result.output)


def operator_environment(data_dir: Path, database_url: str | None, **extra: str) -> dict:
    """The environment an operator's shell would have: no secret key set, so the data
    folder's is used, as on a default install."""
    env = {**os.environ, "AFTERCARE_DATA_DIR": str(data_dir), "AFTERCARE_DEMO": "0"}
    env.pop("AFTERCARE_SECRET_KEY", None)
    env.pop("DATABASE_URL", None)
    env.update(extra)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def aftercare(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(AFTERCARE), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_keys_go_to_a_private_file_of_their_own_and_a_restore_puts_them_back(
    app, db, admin, tmp_path, empty_database_url, another_empty_database
):
    # A default install: the data folder holds the secret key and the Web Push key.
    source = tmp_path / "source"
    source.mkdir()
    (source / "secret_key").write_text(app.config["SECRET_KEY"])  # the admin's 2FA uses it
    vapid = load_vapid(None, None, source)
    email, totp_secret = admin.email, admin.test_totp_secret
    db.session.remove()
    env = operator_environment(source, app.config["SQLALCHEMY_DATABASE_URI"])
    backup, keys = tmp_path / "backup.tar", tmp_path / "aftercare-keys.json"
    made = aftercare("backup", str(backup), "--keys", str(keys), env=env)
    assert made.returncode == 0, made.stderr
    assert f"Keys written to {keys} (readable only by you)" in said(made.stdout)
    assert mode(backup) == mode(keys) == 0o600
    written = json.loads(keys.read_text())
    assert written["secret_key"] == app.config["SECRET_KEY"]
    assert written["vapid_private_key"] == (source / "vapid_private.pem").read_text()
    # The keys are in the key file only: neither the manifest nor the database holds them.
    with tarfile.open(backup) as tar:
        for member in tar.getmembers():
            content = tar.extractfile(member).read()
            if member.name.endswith(".gz"):
                content = gzip.decompress(content)
            assert app.config["SECRET_KEY"].encode() not in content, member.name

    # Into a fresh folder without the key file: refused, and nothing is written.
    fresh = tmp_path / "fresh"
    on_postgresql = bool(os.environ.get(SERVER_VARIABLE))
    # SQLite: the data folder's own database, as on a default install.
    restored_url = (
        empty_database_url if on_postgresql else f"sqlite:///{fresh / 'aftercare.sqlite3'}"
    )
    fresh_env = operator_environment(fresh, empty_database_url if on_postgresql else None)
    refused = aftercare("restore", str(backup), env=fresh_env)
    assert refused.returncode == 1
    assert "The keys in place are not the ones" in said(refused.stderr)
    assert "the secret key: clinicians who use two-factor sign-in could not sign in" in said(
        refused.stderr
    )
    assert "--keys FILE" in said(refused.stderr)
    assert row_count_or_none(restored_url) is None

    restored = aftercare("restore", str(backup), "--keys", str(keys), env=fresh_env)
    assert restored.returncode == 0, restored.stderr
    assert "The app will start with the keys the backup was made with." in said(restored.stdout)
    assert (fresh / "secret_key").read_text() == app.config["SECRET_KEY"]
    assert (fresh / "vapid_private.pem").read_text() == (source / "vapid_private.pem").read_text()
    assert mode(fresh / "secret_key") == mode(fresh / "vapid_private.pem") == 0o600
    assert load_vapid(None, None, fresh).public_key == vapid.public_key

    # The restored app reads the admin's two-factor secret: the admin signs in over HTTP.
    with serve_waitress(
        restored_url, fresh, tmp_path / "restored.log", env={"AFTERCARE_SECRET_KEY": ""}
    ) as served:
        browser = requests.Session()
        page = browser.get(f"{served.url}/clinic/login", timeout=10)
        form = {"csrf_token": csrf_from(page.text), "email": email, "password": PASSWORD}
        answer = browser.post(f"{served.url}/clinic/login", data=form, timeout=10)
        assert answer.url.endswith("/clinic/login/verify")
        code = pyotp.TOTP(totp_secret).now()
        form = {"csrf_token": csrf_from(answer.text), "code": code}
        answer = browser.post(f"{served.url}/clinic/login/verify", data=form, timeout=10)
        assert answer.status_code == 200 and answer.url == f"{served.url}/clinic/"

    # Keys lost for good: --without-keys restores, and says what that costs.
    lost = tmp_path / "lost"
    lost_url = another_empty_database if on_postgresql else None
    anyway = aftercare(
        "restore", str(backup), "--without-keys", env=operator_environment(lost, lost_url)
    )
    assert anyway.returncode == 0, anyway.stderr
    assert "Warning: the secret key is not the backup's. The 1 clinician(s)" in said(anyway.stdout)


def row_count_or_none(url: str) -> int | None:
    """Clinics in the database, or None if it has no tables (or no file) at all."""
    if url.startswith("sqlite:") and not Path(make_url(url).database).exists():
        return None
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            tables = connection.dialect.get_table_names(connection)
            if "clinic" not in tables:
                return None
            return connection.execute(text("SELECT count(*) FROM clinic")).scalar_one()
    finally:
        engine.dispose()


def fake_tool(folder: Path, name: str, version: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text(f'#!/bin/sh\necho "{name} (PostgreSQL) {version}"\n')
    program.chmod(0o755)


def test_the_pg_dump_that_fits_the_server_is_found_and_none_is_named_clearly(tmp_path):
    root = tmp_path / "lib"
    for version in ("13.9", "15.4", "16.2"):
        fake_tool(root / version.split(".")[0] / "bin", "pg_dump", version)
    fake_tool(tmp_path / "path", "pg_dump", "14.1")
    search = str(tmp_path / "path")
    assert find_tool("pg_dump", 15, roots=[root], search_path=search).version == "15.4"
    assert find_tool("pg_dump", 14, roots=[root], search_path=search).version == "14.1"
    # No exact match: the oldest newer one (an older pg_dump refuses a newer server).
    fake_tool(tmp_path / "only16", "pg_dump", "16.2")
    assert find_tool("pg_dump", 12, tmp_path / "only16").version == "16.2"
    with pytest.raises(PostgresError) as refused:
        find_tool("pg_dump", 17, roots=[root], search_path=search)
    message = str(refused.value)
    assert "This PostgreSQL server is version 17: pg_dump must be version 17 or newer" in message
    assert f"13 ({root}/13/bin/pg_dump), 15 ({root}/15/bin/pg_dump)" in message
    assert "apt-get install postgresql-client-17" in message


@postgresql_pass_only
def test_the_database_password_is_never_on_a_command_line_nor_in_the_output(
    app, held, tmp_path, another_empty_database
):
    # The test server trusts loopback, so any password is accepted; the tools still get it.
    password = "pa:ss\\word-1234"
    escaped = "pa%3Ass%5Cword-1234"
    source = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(password=password)
    source_url = source.render_as_string(hide_password=False)
    assert escaped in source_url
    real = postgres_bin()
    wrapper, log = tmp_path / "bin", tmp_path / "tools.log"
    wrapper.mkdir()
    for tool in ("pg_dump", "pg_restore"):
        (wrapper / tool).write_text(
            "#!/bin/sh\n"
            f'echo "$0 $*" >> {log}\n'
            f'if [ -n "$PGPASSFILE" ]; then stat -c %a "$PGPASSFILE" >> {log}; '
            f'cat "$PGPASSFILE" >> {log}; fi\n'
            f'exec {real}/{tool} "$@"\n'
        )
        (wrapper / tool).chmod(0o755)
    env = operator_environment(
        tmp_path / "data", source_url, AFTERCARE_SECRET_KEY="test-secret-key"
    )
    made = aftercare("backup", str(tmp_path / "b.tar"), "--pg-bin", str(wrapper), env=env)
    assert made.returncode == 0, made.stderr
    target = make_url(another_empty_database).set(password=password)
    env["DATABASE_URL"] = target.render_as_string(hide_password=False)
    env["AFTERCARE_DATA_DIR"] = str(tmp_path / "restored")
    restored = aftercare("restore", str(tmp_path / "b.tar"), "--pg-bin", str(wrapper), env=env)
    assert restored.returncode == 0, restored.stderr
    missing = target.set(database="no_such_database").render_as_string(hide_password=False)
    env["DATABASE_URL"] = missing
    failed = aftercare("restore", str(tmp_path / "b.tar"), env=env)
    assert failed.returncode == 1 and "no_such_database" in said(failed.stderr)

    calls = log.read_text()
    command_lines = [line for line in calls.splitlines() if line.startswith(str(wrapper))]
    assert any("pg_dump --format=custom" in line for line in command_lines)
    assert any("pg_restore --no-owner" in line for line in command_lines)
    for line in command_lines:
        assert password not in line and escaped not in line
    assert "600\n*:*:*:*:pa\\:ss\\\\word-1234" in calls  # a private password file instead
    for result in (made, restored, failed):
        assert password not in result.stdout + result.stderr
        assert escaped not in result.stdout + result.stderr
    assert row_count(another_empty_database, "check_in") == held["check_ins"]
