"""gunicorn serving the app from its own process, as in production, for the tests that need it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

GUNICORN = Path(sys.executable).parent / "gunicorn"
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


@contextmanager
def serve(database_url: str, data_dir: Path, log: Path, workers: int = 2) -> Iterator[str]:
    """gunicorn on a free loopback port until the block ends; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "AFTERCARE_DATA_DIR": str(data_dir),
        "AFTERCARE_SECRET_KEY": "test-secret-key",
        "AFTERCARE_DEMO": "0",
        "AFTERCARE_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
    }
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(GUNICORN), "-c", "python:aftercare.gunicorn_conf", "aftercare.wsgi:app"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()
            try:
                if get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError(f"gunicorn did not answer in time:\n{log.read_text()}")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
