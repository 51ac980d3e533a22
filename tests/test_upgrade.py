"""The README's upgrade procedure, and its roll-back, run on an install of an older version.

The older version is this repository at OLD_VERSION (schema 0011, before the two-factor key and
the scheduler's heartbeat), taken out with `git archive`. "Installing" a version is what
`pip install /srv/aftercare/src` does for the processes: which code `import aftercare` finds.
The old one is put first on PYTHONPATH; the new one is this checkout, installed in .venv. Every
other step is the README's: the same commands, with the settings file, and the units' own
ExecStart lines in place of systemctl.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from aftercare.models import CheckIn, Clinic, Clinician, Device, Patient
from tests.conftest import PASSWORD
from tests.databases import SERVER_VARIABLE
from tests.deploy_files import (
    ROOT,
    run_oneshot,
    run_unit,
    settings_file,
    unit_environment,
    wait_for,
)
from tests.people_over_http import HTTP_TIMEOUT_S, Admin, Phone
from tests.servers import BIN, free_port

# The last commit before this procedure's own release: its newest migration is 0011.
OLD_VERSION = "45ae4fdeaf57bdf0babac450cfca0382fa1f611a"
OLD_SCHEMA = "0011"

pytestmark = pytest.mark.skipif(
    not os.environ.get(SERVER_VARIABLE),
    reason="runs once, in the PostgreSQL pass of scripts/test (the README's install)",
)


def old_version(folder: Path) -> Path:
    """The old version's code, as `git archive` gives it (or skip, in a clone without it)."""
    known = subprocess.run(
        ["git", "-C", str(ROOT), "cat-file", "-e", f"{OLD_VERSION}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    if known.returncode != 0:
        pytest.skip(f"this clone does not have the old version ({OLD_VERSION[:10]})")
    folder.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", OLD_VERSION]
        + ["aftercare", "templates", "static", "service_worker", "migrations"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


class Install:
    """One server: its settings file, data folder, database, and the version installed."""

    def __init__(self, tmp_path: Path, database_url: str, old_code: Path) -> None:
        self.data = tmp_path / "var-lib-aftercare"
        self.data.mkdir(mode=0o700)
        self.backups = tmp_path / "var-backups-aftercare"
        self.backups.mkdir(mode=0o700)
        self.logs = tmp_path
        self.home = tmp_path
        self.database_url = database_url
        self.old_code = old_code
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env_file = settings_file(
            tmp_path / "env",
            {
                "DATABASE_URL": database_url,
                "AFTERCARE_DATA_DIR": str(self.data),
                # Plain HTTP to gunicorn itself: this test is about the data, not the proxy.
                "AFTERCARE_BASE_URL": self.base,
                "AFTERCARE_HTTPS": "0",
                "AFTERCARE_BIND": f"127.0.0.1:{self.port}",
                "WEB_CONCURRENCY": "2",
                "AFTERCARE_SCHEDULER_INTERVAL_SECONDS": "1",
            },
        )
        self.old = True

    def _code(self) -> dict[str, str]:
        return {"PYTHONPATH": str(self.old_code)} if self.old else {}

    def aftercare(self, *args: str, stdin: str = "") -> str:
        """The README's `aftercare` shell function: the command with the settings file."""
        result = subprocess.run(
            [str(BIN / "aftercare"), "--env-file", str(self.env_file), *args],
            input=stdin,
            env={"PATH": "/usr/bin:/bin", "HOME": str(self.home), **self._code()},
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def install(self, old: bool) -> None:
        """`git checkout <version> && pip install /srv/aftercare/src`."""
        self.old = old

    @contextmanager
    def started(self) -> Iterator[dict]:
        """`systemctl start aftercare-web aftercare-scheduler`: the migration first, then both;
        the block's end is `systemctl stop`."""
        env = unit_environment(self.env_file, **self._code())
        run_oneshot("aftercare-migrate.service", env, self.data)
        with ExitStack() as stack:
            web = stack.enter_context(run_unit("aftercare-web.service", env, self.data, self.logs))
            units = {"web": web}
            if not self.old:  # the old scheduler is not watched; it is not needed here
                units["scheduler"] = stack.enter_context(
                    run_unit("aftercare-scheduler.service", env, self.data, self.logs)
                )
            wait_for(f"{self.base}/healthz", web)
            yield units

    def held(self) -> dict[str, object]:
        """What the database holds that must survive: schema, people, check-ins."""
        engine = create_engine(self.database_url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                return {
                    "schema": connection.execute(
                        text("SELECT version_num FROM alembic_version")
                    ).scalar_one(),
                    "clinics": connection.execute(select(Clinic.name)).scalars().all(),
                    "clinicians": connection.execute(
                        select(Clinician.email, Clinician.totp_secret_encrypted)
                    ).all(),
                    "patients": connection.execute(select(Patient.display_name)).scalars().all(),
                    "devices": connection.execute(select(func.count(Device.id))).scalar_one(),
                    "check-ins": connection.execute(
                        select(CheckIn.idempotency_key, CheckIn.triage_level)
                    ).all(),
                }
        finally:
            engine.dispose()


def test_the_upgrade_procedure_keeps_the_data_and_the_roll_back_brings_the_old_version_back(
    tmp_path, empty_database_url
):
    server = Install(tmp_path, empty_database_url, old_version(tmp_path / "old-src"))

    # An install of the old version, in use: a clinic, an admin with two-factor sign-in, and
    # a patient with a linked phone and a check-in.
    server.install(old=True)
    server.aftercare("db", "upgrade")
    clinic = server.aftercare("create-clinic", "--name", "Riverside").strip()
    server.aftercare(
        *("create-clinician", "--clinic-id", clinic, "--email", "lead@riverside.test"),
        *("--name", "Lead", "--admin"),
        stdin=f"{PASSWORD}\n",
    )
    admin = Admin(server.base, "lead@riverside.test")
    with server.started():
        admin.first_sign_in()
        # The old version lands on the patient's page, where the link is asked for.
        phone = Phone(admin.new_patient("Alex", lands_on_link=False).enrollment_link)
        assert phone.check_in(nausea="2").status_code == 201
        before = server.held()
        assert before["schema"] == OLD_SCHEMA and len(before["check-ins"]) == 1

        # The README's upgrade. 1. Back up, while the old version still runs.
        server.aftercare("backup", str(server.backups / "before-upgrade.tar"))
    # 2. Stop (the block above ended). 3. Install the new version.
    server.install(old=False)
    # 4. Make any key the new version brings: here the two-factor key.
    made = server.aftercare("keys", "create")
    assert "two-factor key: made" in made and "secret key: already there" in made
    # 5. Start: the migration runs first.
    with server.started() as units:
        # 6. Check: the scheduler's heartbeat, the keys, and the people's data.
        health = wait_for(f"{server.base}/healthz?scheduler=1", units["scheduler"])
        assert health.json()["status"] == "ok"
        checked = server.aftercare("keys", "check")
        assert "Two-factor secrets in the database: 1; 0 open with the two-factor key, 1" in (
            checked
        )
        after = server.held()
        assert after["schema"] != OLD_SCHEMA
        assert {k: v for k, v in after.items() if k != "schema"} == {
            k: v for k, v in before.items() if k != "schema"
        }
        admin.sign_in()  # the same authenticator app
        assert phone.http.get(f"{server.base}/today", timeout=HTTP_TIMEOUT_S).status_code == 200
        # Written after the upgrade: a roll-back to the backup loses it, as the README says.
        assert phone.check_in(headache="1").status_code == 201

    # The roll-back: stop, install the old version again, restore the backup of step 1, start.
    server.install(old=True)
    restored = server.aftercare("restore", str(server.backups / "before-upgrade.tar"), "--force")
    assert f"Schema {OLD_SCHEMA}, the newest." in restored
    with server.started():
        assert server.held() == before
        admin.sign_in()
        assert phone.http.get(f"{server.base}/today", timeout=HTTP_TIMEOUT_S).status_code == 200
        page = admin.http.get(f"{server.base}/clinic/", timeout=HTTP_TIMEOUT_S)
        assert page.status_code == 200 and "Alex" in page.text
