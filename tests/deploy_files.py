"""deploy/'s files as the tests use them: each unit's command, the settings file, and Caddy.

The tests run what the files say, not a copy of it: a unit's ExecStart is read from the unit
(with the install folder's virtual environment, /srv/aftercare/.venv, replaced by this one),
the settings come from deploy/aftercare.env with the test's values filled in, and Caddy runs
deploy/Caddyfile with the test's name, ports and folders put in its place.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from dotenv import dotenv_values

from tests.servers import BIN, free_port

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
INSTALLED_BIN = "/srv/aftercare/.venv/bin/"
UNITS = sorted(path.name for path in DEPLOY.glob("aftercare-*.*"))
START_TIMEOUT_S = 60


def unit_settings(name: str) -> dict[str, list[str]]:
    """The Key=value lines of a unit file, by key (a key may come more than once)."""
    settings: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def exec_start(name: str) -> list[str]:
    """The unit's ExecStart, run from this checkout's virtual environment."""
    (command,) = unit_settings(name)["ExecStart"]
    assert command.startswith(INSTALLED_BIN), command
    words = shlex.split(command)
    return [str(BIN / words[0].removeprefix(INSTALLED_BIN)), *words[1:]]


SETTING = re.compile(r"^(?:# )?([A-Z][A-Z0-9_]*)=")


def template_settings() -> list[str]:
    """The settings deploy/aftercare.env names, set or commented out (not its examples)."""
    lines = (DEPLOY / "aftercare.env").read_text().splitlines()
    return [match.group(1) for line in lines if (match := SETTING.match(line))]


def settings_file(path: Path, values: Mapping[str, str]) -> Path:
    """deploy/aftercare.env with `values` in place of the template's (set or commented out)."""
    lines = (DEPLOY / "aftercare.env").read_text().splitlines()
    left = dict(values)
    for number, line in enumerate(lines):
        match = SETTING.match(line)
        if match and match.group(1) in left:
            name = match.group(1)
            lines[number] = f"{name}={left.pop(name)}"
    assert not left, f"deploy/aftercare.env has no line for {sorted(left)}"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o640)
    return path


def unit_environment(env_file: Path, **extra: str) -> dict[str, str]:
    """What a unit's process gets: systemd's few variables, then EnvironmentFile=."""
    # As systemd reads it: no $ expansion. A bare environment, as systemd gives one: nothing
    # of the test run's own settings leaks in.
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(env_file.parent)}
    env.update({k: v for k, v in dotenv_values(env_file, interpolate=False).items() if v})
    env.update(extra)
    return env


@dataclass(frozen=True)
class Running:
    """A process started as a unit would start it, and the file its output goes to."""

    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def run_unit(name: str, env: dict[str, str], folder: Path, logs: Path) -> Iterator[Running]:
    """Start the unit's ExecStart in `folder` (its WorkingDirectory), stop it with SIGTERM; its
    output goes to a file in `logs` (the journal, under systemd)."""
    log = logs / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            exec_start(name), env=env, cwd=folder, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield Running(process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def run_oneshot(name: str, env: dict[str, str], folder: Path) -> str:
    """Run a Type=oneshot unit's ExecStart to its end; its output, or AssertionError."""
    result = subprocess.run(
        exec_start(name), env=env, cwd=folder, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def wait_for(url: str, running: Running | None = None, **kwargs: object) -> requests.Response:
    """GET `url` until it answers 200 (bounded), while `running` is still running."""
    deadline = time.monotonic() + START_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        if running is not None:
            assert running.process.poll() is None, running.output()
        try:
            response = requests.get(url, timeout=5, **kwargs)  # type: ignore[arg-type]
            if response.status_code == 200:
                return response
            last = f"{response.status_code} {response.text[:200]}"
        except requests.RequestException as error:
            last = repr(error)
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 in time: {last}")


def caddy_installed() -> bool:
    return shutil.which("caddy") is not None


@dataclass(frozen=True)
class Caddy:
    """Caddy serving deploy/Caddyfile on loopback: its public address and what it wrote."""

    url: str
    root_certificate: Path
    access_log: Path
    log: Path


def caddyfile_for_test(folder: Path, https_port: int, http_port: int, upstream: str) -> str:
    """deploy/Caddyfile with the test's name, ports and folders; each change must apply."""
    text = (DEPLOY / "Caddyfile").read_text()
    changes = [
        ("aftercare.example.org {", f"localhost:{https_port} {{"),
        ("# tls internal", "tls internal"),
        ("reverse_proxy 127.0.0.1:8000", f"reverse_proxy {upstream}"),
        ("/var/log/caddy/aftercare-access.log", str(folder / "access.log")),
        # The test's own global options, first in the global block: no admin endpoint,
        # unprivileged ports, certificates in the test's folder, the system's trust untouched.
        (
            "\n{\n",
            f"\n{{\n\tadmin off\n\thttp_port {http_port}\n\thttps_port {https_port}\n"
            f"\tstorage file_system {folder / 'storage'}\n\tskip_install_trust\n",
        ),
    ]
    for old, new in changes:
        assert text.count(old) == 1, f"deploy/Caddyfile no longer has {old!r} once"
        text = text.replace(old, new)
    return text


@contextmanager
def serve_caddy(folder: Path, upstream: str) -> Iterator[Caddy]:
    """Caddy from Debian's package, with `tls internal`, until the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    https_port, http_port = free_port(), free_port()
    config = folder / "Caddyfile"
    config.write_text(caddyfile_for_test(folder, https_port, http_port, upstream))
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
    }
    log = folder / "caddy.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["caddy", "run", "--config", str(config), "--adapter", "caddyfile"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    root = folder / "storage" / "pki" / "authorities" / "local" / "root.crt"
    url = f"https://localhost:{https_port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not root.exists():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"Caddy made no certificate:\n{log.read_text()}"
            time.sleep(0.1)
        yield Caddy(url, root, folder / "access.log", log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
