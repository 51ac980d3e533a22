"""Safe by default: a command run with forgotten settings stops, and production makes nothing.

Each test runs the `aftercare` console script (or gunicorn) in a process of its own, with an
environment as bare as an operator's shell, in a folder of its own, and looks at what it said
and what it left behind.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from aftercare.config import ConfigError, load_config
from aftercare.models import Clinic, Clinician
from tests.servers import BIN, free_port

AFTERCARE = BIN / "aftercare"


def aftercare(
    *args: str, cwd: Path, stdin: str = "", timeout: float = 120, **settings: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(AFTERCARE), *args],
        input=stdin,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), **settings},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def everything_in(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def test_help_writes_nothing(tmp_path):
    result = aftercare("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "create-clinic" in result.stdout and "keys" in result.stdout
    assert everything_in(tmp_path) == []


def test_help_with_the_data_folder_set_writes_nothing_there_either(tmp_path):
    data = tmp_path / "data"
    for args in (["--help"], ["keys", "--help"], ["routes"]):
        result = aftercare(*args, cwd=tmp_path, AFTERCARE_DATA_DIR=str(data))
        assert result.returncode == 0, result.stderr
    assert everything_in(tmp_path) == []


@pytest.mark.parametrize(
    "args",
    [
        ["create-clinic", "--name", "Riverside"],
        ["create-clinician", "--clinic-id", "1", "--email", "a@b.test", "--name", "A"],
        ["scheduler"],
        ["send-due"],
        ["vapid-keys"],
        ["backup", "."],
        ["db", "upgrade"],
    ],
)
def test_a_command_run_without_the_settings_stops_and_makes_nothing(tmp_path, args):
    result = aftercare(*args, cwd=tmp_path, stdin="a long enough password\n")
    assert result.returncode != 0
    said = result.stdout + result.stderr
    # It says where it looked, why there, and how to give the settings or make a new install.
    assert "instance" in said, said
    assert "--env-file" in said and ("--init" in said or "keys create" in said), said
    assert everything_in(tmp_path) == []


def test_create_clinic_on_an_install_stops_without_its_database(tmp_path):
    data = tmp_path / "data"
    result = aftercare("create-clinic", "--name", "X", cwd=tmp_path, AFTERCARE_DATA_DIR=str(data))
    assert result.returncode == 1
    assert f"There is no database at {data / 'aftercare.sqlite3'}" in result.stderr
    assert not data.exists()


def test_told_to_make_them_a_command_makes_the_database_and_keys(tmp_path):
    data = tmp_path / "data"
    settings = {"AFTERCARE_DATA_DIR": str(data)}
    made = aftercare("--init", "db", "upgrade", cwd=tmp_path, **settings)
    assert made.returncode == 0, made.stderr
    keys = aftercare("keys", "create", cwd=tmp_path, **settings)
    assert keys.returncode == 0, keys.stderr
    clinic = aftercare("create-clinic", "--name", "Riverside", cwd=tmp_path, **settings)
    assert (clinic.returncode, clinic.stdout.strip()) == (0, "1")
    assert sorted(p.name for p in data.iterdir()) == [
        "aftercare.sqlite3",
        "secret_key",
        "two_factor_key",
        "vapid_private.pem",
    ]
    assert oct(data.stat().st_mode & 0o777) == "0o700"


@pytest.mark.parametrize(
    "settings",
    [{"AFTERCARE_HTTPS": "1"}, {"AFTERCARE_BASE_URL": "https://aftercare.example.org"}],
)
def test_production_settings_without_a_database_or_data_folder_stop_start_up(tmp_path, settings):
    with pytest.raises(ConfigError, match="set DATABASE_URL or AFTERCARE_DATA_DIR"):
        load_config(settings)
    result = aftercare("run", "--port", str(free_port()), cwd=tmp_path, **settings)
    assert result.returncode == 1
    assert "set DATABASE_URL or AFTERCARE_DATA_DIR" in result.stderr
    assert everything_in(tmp_path) == []


def test_gunicorn_with_production_settings_stops_without_a_database_or_data_folder(tmp_path):
    result = subprocess.run(
        [str(BIN / "gunicorn"), "-c", "python:aftercare.gunicorn_conf", "aftercare.wsgi:app"],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "AFTERCARE_HTTPS": "1",
            "AFTERCARE_BIND": f"127.0.0.1:{free_port()}",
            "WEB_CONCURRENCY": "1",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "set DATABASE_URL or AFTERCARE_DATA_DIR" in result.stdout + result.stderr
    assert everything_in(tmp_path) == []


def test_demo_data_is_never_made_in_production(tmp_path):
    with pytest.raises(ConfigError, match="AFTERCARE_DEMO=1 cannot be used"):
        load_config({"AFTERCARE_HTTPS": "1", "AFTERCARE_DATA_DIR": "x", "AFTERCARE_DEMO": "1"})
    assert load_config({"AFTERCARE_HTTPS": "1", "AFTERCARE_DATA_DIR": "x"})["DEMO"] is False
    data = tmp_path / "data"
    result = aftercare("demo", cwd=tmp_path, AFTERCARE_HTTPS="1", AFTERCARE_DATA_DIR=str(data))
    assert result.returncode == 2
    assert "demo data is never made with production settings" in result.stderr
    assert not data.exists()


def test_aftercare_run_in_production_makes_no_demo_clinic(tmp_path):
    """Behind HTTPS an empty database stays empty: no demo clinic, no demo@aftercare.test."""
    data = tmp_path / "data"
    settings = {"AFTERCARE_HTTPS": "1", "AFTERCARE_DATA_DIR": str(data)}
    # A new install is told to make its database and keys; demo data it is never given.
    server = subprocess.Popen(
        [str(AFTERCARE), "run", "--port", str(free_port()), "--no-scheduler"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "AFTERCARE_INIT": "1", **settings},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        said = ""
        for line in server.stdout:
            said += line
            if "is serving on" in line:
                break
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "is serving on" in said, said
    assert "Demo data" not in said
    engine = create_engine(f"sqlite:///{data / 'aftercare.sqlite3'}", poolclass=NullPool)
    with engine.connect() as connection:
        assert connection.execute(select(Clinic.id)).all() == []
        assert connection.execute(select(Clinician.id)).all() == []
    engine.dispose()


def test_aftercare_run_in_production_does_not_make_a_database_unasked(tmp_path):
    data = tmp_path / "data"
    result = aftercare(
        "run",
        "--port",
        str(free_port()),
        cwd=tmp_path,
        AFTERCARE_HTTPS="1",
        AFTERCARE_DATA_DIR=str(data),
    )
    assert result.returncode == 1
    assert "There is no database" in result.stderr
    assert not data.exists()


def test_gunicorn_in_production_stops_without_its_keys(tmp_path):
    data = tmp_path / "data"
    made = aftercare("--init", "db", "upgrade", cwd=tmp_path, AFTERCARE_DATA_DIR=str(data))
    assert made.returncode == 0, made.stderr
    result = subprocess.run(
        [str(BIN / "gunicorn"), "-c", "python:aftercare.gunicorn_conf", "aftercare.wsgi:app"],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "AFTERCARE_HTTPS": "1",
            "AFTERCARE_DATA_DIR": str(data),
            "AFTERCARE_BIND": f"127.0.0.1:{free_port()}",
            "WEB_CONCURRENCY": "1",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    said = result.stdout + result.stderr
    assert "These keys are missing: the secret key" in said and "aftercare keys create" in said
    assert sorted(p.name for p in data.iterdir()) == ["aftercare.sqlite3"]


def test_the_local_trial_still_sets_itself_up(tmp_path):
    """`scripts/run`: `aftercare run` with nothing set makes its database, keys and demo."""
    server = subprocess.Popen(
        [str(AFTERCARE), "run", "--port", str(free_port()), "--no-scheduler"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        said = ""
        for line in server.stdout:
            said += line
            if "is serving on" in line:
                break
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Demo data created" in said and "Made a new secret key" in said, said
    assert {p.name for p in (tmp_path / "instance").iterdir()} >= {
        "aftercare.sqlite3",
        "secret_key",
        "two_factor_key",
        "vapid_private.pem",
    }


def test_commands_read_the_settings_file_as_systemd_does(tmp_path):
    """--env-file or AFTERCARE_ENV_FILE: the same file the units read, `$` taken as it is."""
    data = tmp_path / "data$HOME"  # systemd does not expand $HOME in an EnvironmentFile
    settings = tmp_path / "env"
    settings.write_text(f"# Aftercare's settings\nAFTERCARE_DATA_DIR={data}\nAFTERCARE_DEMO='0'\n")
    made = aftercare("--env-file", str(settings), "--init", "db", "upgrade", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    clinic = aftercare(
        "create-clinic", "--name", "Riverside", cwd=tmp_path, AFTERCARE_ENV_FILE=str(settings)
    )
    assert (clinic.returncode, clinic.stdout.strip()) == (0, "1"), clinic.stderr
    assert (data / "aftercare.sqlite3").exists()
    # A variable set in the environment wins over the file, as with Flask's own --env-file.
    elsewhere = aftercare(
        "--env-file",
        str(settings),
        "create-clinic",
        "--name",
        "Hillside",
        cwd=tmp_path,
        AFTERCARE_DATA_DIR=str(tmp_path / "elsewhere"),
    )
    assert elsewhere.returncode == 1
    assert f"There is no database at {tmp_path / 'elsewhere'}" in elsewhere.stderr


def test_a_settings_file_that_is_not_there_is_named(tmp_path):
    result = aftercare("--env-file", str(tmp_path / "nope"), "routes", cwd=tmp_path)
    assert result.returncode == 2
    assert "nope" in result.stderr and "does not exist" in result.stderr
