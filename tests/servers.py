"""The app served by a real server in its own process, as a clinic runs it, for tests that send
real HTTP: waitress as `aftercare run` starts it, and gunicorn with the production settings.

The Flask test client keeps the app context open for the whole request, body and all, and never
sees what a real server does with streamed bodies, cookies and errors. These servers do.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@dataclass(frozen=True)
class Served:
    """A running server: its base URL and the file its output goes to."""

    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _environment(database_url: str, data_dir: Path, extra: Mapping[str, str] | None) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "AFTERCARE_DATA_DIR": str(data_dir),
        "AFTERCARE_SECRET_KEY": "test-secret-key",
        "AFTERCARE_DEMO": "0",
        **(extra or {}),
    }


def _make_keys(env: dict, log: Path) -> None:
    """`aftercare keys create`, as an install does before its first start: with production
    settings (an https AFTERCARE_BASE_URL, say) the servers make no key of their own."""
    made = subprocess.run(
        [str(BIN / "aftercare"), "keys", "create"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    log.write_text(made.stdout + made.stderr)
    assert made.returncode == 0, made.stdout + made.stderr


@contextmanager
def _serving(command: list[str], env: dict, port: int, log: Path) -> Iterator[Served]:
    _make_keys(env, log)
    with log.open("ab") as output:
        server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    served = Served(f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert server.poll() is None, served.output()
            try:
                if get(f"{served.url}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError(f"{command[0]} did not answer in time:\n{served.output()}")
        yield served
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@contextmanager
def serve_waitress(
    database_url: str,
    data_dir: Path,
    log: Path,
    env: Mapping[str, str] | None = None,
    scheduler: bool = False,
) -> Iterator[Served]:
    """`aftercare run` (waitress) on a free loopback port until the block ends."""
    port = free_port()
    command = [str(BIN / "aftercare"), "run", "--host", "127.0.0.1", "--port", str(port)]
    if not scheduler:
        command.append("--no-scheduler")
    with _serving(command, _environment(database_url, data_dir, env), port, log) as served:
        yield served


@contextmanager
def serve_gunicorn(
    database_url: str,
    data_dir: Path,
    log: Path,
    workers: int = 2,
    env: Mapping[str, str] | None = None,
) -> Iterator[Served]:
    """gunicorn with the production settings on a free loopback port until the block ends."""
    port = free_port()
    environment = _environment(database_url, data_dir, env)
    environment.update({"AFTERCARE_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)})
    command = [str(BIN / "gunicorn"), "-c", "python:aftercare.gunicorn_conf", "aftercare.wsgi:app"]
    with _serving(command, environment, port, log) as served:
        yield served
