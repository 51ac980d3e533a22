"""The store of sign-in attempts (AFTERCARE_RATELIMIT_STORAGE_URI) is checked at start-up."""

from __future__ import annotations

import importlib.abc
import subprocess
import sys

import pytest

from aftercare.config import ConfigError, load_config
from tests.servers import BIN, free_port

VARIABLE = "AFTERCARE_RATELIMIT_STORAGE_URI"


class NoRedis(importlib.abc.MetaPathFinder):
    """Finds no `redis` package, as on an install without the extra."""

    def find_spec(self, name: str, path: object, target: object = None) -> None:
        if name.partition(".")[0] == "redis":
            raise ImportError(f"No module named {name!r}")


@pytest.fixture
def without_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    """As an install without the `redis` extra, whatever this environment has."""
    for name in [name for name in sys.modules if name.partition(".")[0] == "redis"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [NoRedis(), *sys.meta_path])


@pytest.mark.usefixtures("without_redis")
@pytest.mark.parametrize("uri", ["redis://127.0.0.1:6379/0", "rediss://cache.internal:6380"])
def test_redis_without_its_extra_stops_start_up_and_says_what_to_install(tmp_path, uri):
    with pytest.raises(ConfigError) as raised:
        load_config({"AFTERCARE_DATA_DIR": str(tmp_path), VARIABLE: uri})
    message = str(raised.value)
    assert message.startswith(f"{VARIABLE} cannot be used")
    assert "pip install 'aftercare[redis]'" in message
    assert "127.0.0.1" not in message and "cache.internal" not in message  # no address


@pytest.mark.parametrize("uri", ["bogus://x", "redis", "127.0.0.1:6379"])
def test_a_storage_address_limits_does_not_know_stops_start_up(tmp_path, uri):
    with pytest.raises(ConfigError, match=VARIABLE):
        load_config({"AFTERCARE_DATA_DIR": str(tmp_path), VARIABLE: uri})


def test_memory_is_the_default(tmp_path):
    assert load_config({"AFTERCARE_DATA_DIR": str(tmp_path)})["RATELIMIT_STORAGE_URI"] == (
        "memory://"
    )


def test_gunicorn_stops_with_one_message_naming_the_variable(tmp_path):
    """Before, each worker crashed at its first sign-in check with limits' own error."""
    shadow = tmp_path / "no-redis"
    (shadow / "redis").mkdir(parents=True)
    (shadow / "redis" / "__init__.py").write_text("raise ImportError('not installed')\n")
    result = subprocess.run(
        [str(BIN / "gunicorn"), "-c", "python:aftercare.gunicorn_conf", "aftercare.wsgi:app"],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(shadow),
            "AFTERCARE_DATA_DIR": str(tmp_path / "data"),
            "AFTERCARE_SECRET_KEY": "test-secret-key",
            "AFTERCARE_BIND": f"127.0.0.1:{free_port()}",
            "WEB_CONCURRENCY": "1",
            VARIABLE: "redis://127.0.0.1:6379/0",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    said = result.stdout + result.stderr
    assert f"{VARIABLE} cannot be used (redis://...)" in said
    assert "pip install 'aftercare[redis]'" in said
