"""Keys with custody: made only when asked, each where it is said to be, rotated without losses.

The secret key signs sessions; the two-factor key encrypts clinicians' two-factor secrets; the
Web Push key identifies the server. `aftercare keys check` says which are in use and where,
`aftercare keys rotate secret-key` changes the secret key while two-factor sign-in keeps working.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
import requests

from aftercare import create_app
from aftercare.backups.keys import fingerprint_of
from aftercare.clinic import twofactor
from aftercare.extensions import db as _db
from aftercare.keys import make_missing
from aftercare.models import utcnow
from tests.conftest import PASSWORD, add_clinician, csrf_from, make_app, sign_in_with_code
from tests.servers import BIN, serve_waitress

AFTERCARE = BIN / "aftercare"
KEY_FILES = ["secret_key", "two_factor_key", "vapid_private.pem"]


def aftercare(*args: str, data: Path, database_url: str | None = None, **settings: str):  # noqa: ANN201
    env = {"PATH": "/usr/bin:/bin", "HOME": str(data.parent), "AFTERCARE_DATA_DIR": str(data)}
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [str(AFTERCARE), *args],
        cwd=data.parent,
        env={**env, **settings},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_keys_are_private_from_their_first_byte(tmp_path, monkeypatch):
    # Were they written first and narrowed afterwards, they would stay as the umask left them.
    monkeypatch.setattr(Path, "chmod", lambda self, mode: None)
    monkeypatch.delenv("AFTERCARE_SECRET_KEY")
    app = create_app({"DATA_DIR": tmp_path / "data"})
    previous = os.umask(0)
    try:
        made = make_missing(app)
    finally:
        os.umask(previous)
    assert [place.kind.file_name for place in made] == KEY_FILES
    for name in KEY_FILES:
        assert stat.S_IMODE((tmp_path / "data" / name).stat().st_mode) == 0o600
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == KEY_FILES


def test_processes_starting_together_agree_on_one_key(tmp_path, monkeypatch):
    # gunicorn's workers each build the app at once; make the window between "is there a key?"
    # and writing one wide, as a busy machine may.
    made = secrets.token_urlsafe

    def slowly(n: int) -> str:
        time.sleep(0.2)
        return made(n)

    monkeypatch.setattr(secrets, "token_urlsafe", slowly)
    monkeypatch.delenv("AFTERCARE_SECRET_KEY")
    apps = [create_app({"DATA_DIR": tmp_path}) for _ in range(4)]
    workers = [threading.Thread(target=make_missing, args=(app,)) for app in apps]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    keys = {app.config["SECRET_KEY"] for app in apps}
    assert keys == {(tmp_path / "secret_key").read_text()}
    assert len({app.config["TWO_FACTOR_KEY"] for app in apps}) == 1


def test_keys_create_makes_what_is_missing_and_never_replaces_a_key(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret_key").write_text("kept as it is")
    result = aftercare("keys", "create", data=data)
    assert result.returncode == 0, result.stderr
    assert f"secret key: already there, {data / 'secret_key'}" in result.stdout
    assert f"two-factor key: made, {data / 'two_factor_key'}" in result.stdout
    assert (data / "secret_key").read_text() == "kept as it is"
    again = aftercare("keys", "create", data=data)
    assert "made" not in again.stdout.replace("already there", "")
    assert sorted(p.name for p in data.iterdir()) == KEY_FILES


def test_keys_check_says_where_each_key_is_and_its_fingerprint_but_never_the_key(
    tmp_path, database_url
):
    data = tmp_path / "data"
    assert aftercare("keys", "create", data=data).returncode == 0
    result = aftercare("keys", "check", data=data, database_url=database_url)
    assert result.returncode == 0, result.stdout + result.stderr
    said = result.stdout
    for name, label in (("secret_key", "secret key"), ("two_factor_key", "two-factor key")):
        key = (data / name).read_text()
        assert f"{label}: {data / name} in the data folder, fingerprint " in said
        # The same fingerprint a backup's manifest and key file record.
        assert fingerprint_of(name, key) in said
        assert key not in said
    pem = (data / "vapid_private.pem").read_text()
    assert fingerprint_of("vapid", pem) in said and "PRIVATE KEY" not in said
    assert "file mode 600" in said
    assert "Two-factor secrets in the database: 0" in said

    # Compared with the key file a backup wrote: the same keys.
    key_file = tmp_path / "keys.json"
    backup = aftercare(
        "backup",
        str(tmp_path / "b.tar"),
        "--keys",
        str(key_file),
        data=data,
        database_url=database_url,
    )
    assert backup.returncode == 0, backup.stderr
    assert (
        json.loads(key_file.read_text())["two_factor_key"] == (data / "two_factor_key").read_text()
    )
    compared = aftercare(
        "keys", "check", "--key-file", str(key_file), data=data, database_url=database_url
    )
    assert compared.returncode == 0, compared.stdout
    assert compared.stdout.count(": the same as the one in use") == 3


def test_keys_check_fails_for_a_missing_key_or_one_others_can_read(tmp_path):
    data = tmp_path / "data"
    assert aftercare("keys", "create", data=data).returncode == 0
    (data / "secret_key").chmod(0o644)
    (data / "vapid_private.pem").unlink()
    result = aftercare("keys", "check", data=data)
    assert result.returncode == 1
    assert f"others can read it: chmod 600 {data / 'secret_key'}" in result.stdout
    assert "Web Push key: MISSING" in result.stdout


@pytest.fixture
def two_factor_app(app):
    """The app with a two-factor key of its own, as every install made by this version has."""
    app.config["TWO_FACTOR_KEY"] = "a two-factor key of the clinic's own"
    return app


def test_a_new_secret_key_does_not_undo_two_factor_sign_in(two_factor_app, admin):
    # On an install with a two-factor key, changing the secret key (losing it, or rotating it)
    # signs people out, and nothing more: the authenticator app still works.
    two_factor_app.config["SECRET_KEY"] = "a brand new secret key"
    client = two_factor_app.test_client()
    assert sign_in_with_code(client, admin).status_code == 302


def test_secrets_from_before_the_two_factor_key_still_open(app, admin):
    # The admin set up two-factor sign-in when the secret key alone encrypted it; the upgrade
    # brings a two-factor key, and the secret keeps opening.
    assert app.config["TWO_FACTOR_KEY"] is None
    app.config["TWO_FACTOR_KEY"] = "made when this version was installed"
    client = app.test_client()
    assert sign_in_with_code(client, admin).status_code == 302


def test_keys_check_counts_two_factor_secrets_no_key_opens(tmp_path, app, db, admin):
    data = tmp_path / "elsewhere"
    assert aftercare("keys", "create", data=data).returncode == 0
    # The data folder's keys are not the ones the admin's secret was encrypted with.
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    result = aftercare("keys", "check", data=data, database_url=url)
    assert result.returncode == 1
    assert "and 1 with NEITHER" in result.stdout


def test_rotating_the_secret_key_keeps_two_factor_sign_in_and_signs_everyone_out(
    tmp_path, database_url
):
    """The README's rotation, on an install from before the two-factor key existed."""
    data = tmp_path / "data"
    assert aftercare("keys", "create", data=data).returncode == 0
    (data / "two_factor_key").unlink()  # as an install made before it existed
    old_secret = (data / "secret_key").read_text()
    totp = pyotp.TOTP(twofactor.new_secret())
    old_install = make_app(data, database_url, SECRET_KEY=old_secret, TWO_FACTOR_KEY=None)
    with old_install.app_context():
        clinic_admin = add_clinician(_db, _clinic(), "lead@riverside.test", role="admin")
        earlier = totp.at(utcnow() - timedelta(seconds=30))
        assert twofactor.enable(clinic_admin, totp.secret, earlier) is not None
        _db.session.commit()
        _db.session.remove()
        _db.engine.dispose()

    settings = {"AFTERCARE_SECRET_KEY": ""}  # the data folder's keys, as on an install
    with serve_waitress(database_url, data, tmp_path / "before.log", env=settings) as served:
        before = signed_in(served.url, totp)
        assert before.get(f"{served.url}/clinic/", timeout=10).url == f"{served.url}/clinic/"

    rotated = aftercare("keys", "rotate", "secret-key", data=data, database_url=database_url)
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert "Two-factor secrets now encrypted with the two-factor key: 1." in rotated.stdout
    assert (data / "secret_key").read_text() != old_secret
    assert stat.S_IMODE((data / "two_factor_key").stat().st_mode) == 0o600
    checked = aftercare("keys", "check", data=data, database_url=database_url)
    assert "1 open with the two-factor key, 0 with the secret key" in checked.stdout

    with serve_waitress(database_url, data, tmp_path / "after.log", env=settings) as served:
        # The old session cookie no longer signs anyone in...
        stale = before.get(f"{served.url}/clinic/", timeout=10)
        assert stale.url.startswith(f"{served.url}/clinic/login")
        # ...and the admin signs in again with the same authenticator app.
        again = signed_in(served.url, totp, wait_for_next_code=True)
        assert again.get(f"{served.url}/clinic/", timeout=10).url == f"{served.url}/clinic/"


def _clinic():  # noqa: ANN202
    from aftercare.models import Clinic

    clinic = Clinic(name="Riverside", timezone="America/Chicago", phone="555-0100")
    _db.session.add(clinic)
    _db.session.commit()
    return clinic


def signed_in(base: str, totp: pyotp.TOTP, wait_for_next_code: bool = False) -> requests.Session:
    """A browser signed in as the admin: password, then the authenticator app's code."""
    browser = requests.Session()
    page = browser.get(f"{base}/clinic/login", timeout=10)
    form = {"csrf_token": csrf_from(page.text), "email": "lead@riverside.test"}
    answer = browser.post(f"{base}/clinic/login", data={**form, "password": PASSWORD}, timeout=10)
    assert answer.url.endswith("/clinic/login/verify"), answer.url
    # Each code is accepted once: a second sign-in in the same 30 s needs the next one.
    code = totp.at(utcnow() + timedelta(seconds=30)) if wait_for_next_code else totp.now()
    answer = browser.post(
        f"{base}/clinic/login/verify",
        data={"csrf_token": csrf_from(answer.text), "code": code},
        timeout=10,
    )
    assert answer.url == f"{base}/clinic/", answer.text[:500]
    return browser


def test_a_clinician_can_be_read_after_the_two_factor_key_is_rotated(two_factor_app, admin):
    from aftercare.clinic import twofactor_keys

    old = two_factor_app.config["TWO_FACTOR_KEY"]
    new = "the next two-factor key"
    moved = twofactor_keys.move_secrets(
        _db.session,
        [twofactor_keys.from_two_factor_key(old)],
        twofactor_keys.from_two_factor_key(new),
    )
    _db.session.commit()
    assert moved == 1
    two_factor_app.config["TWO_FACTOR_KEY"] = new
    two_factor_app.config["SECRET_KEY"] = "and a new secret key as well"
    assert sign_in_with_code(two_factor_app.test_client(), admin).status_code == 302


def test_the_key_file_carries_the_two_factor_key_and_a_restore_puts_it_back(
    tmp_path, database_url, empty_database_url
):
    source = tmp_path / "source"
    assert aftercare("keys", "create", data=source).returncode == 0
    key_file = tmp_path / "keys.json"
    backup = tmp_path / "backup.tar"
    made = aftercare(
        "backup", str(backup), "--keys", str(key_file), data=source, database_url=database_url
    )
    assert made.returncode == 0, made.stderr
    manifest = json.loads(
        subprocess.run(
            ["tar", "-xOf", str(backup), "manifest.json"], capture_output=True, check=True
        ).stdout
    )
    two_factor_key = (source / "two_factor_key").read_text()
    assert manifest["keys"]["two_factor_key"] == fingerprint_of("two_factor_key", two_factor_key)

    fresh = tmp_path / "fresh"
    refused = aftercare("restore", str(backup), data=fresh, database_url=empty_database_url)
    assert refused.returncode == 1 and "two-factor key" in refused.stderr
    restored = aftercare(
        "restore",
        str(backup),
        "--keys",
        str(key_file),
        data=fresh,
        database_url=empty_database_url,
    )
    assert restored.returncode == 0, restored.stderr
    said = " ".join(restored.stdout.split())  # the lines are wrapped for a terminal
    assert f"two-factor key: written to {fresh / 'two_factor_key'}" in said
    assert (fresh / "two_factor_key").read_text() == two_factor_key
    assert stat.S_IMODE((fresh / "two_factor_key").stat().st_mode) == 0o600
