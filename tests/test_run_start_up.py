"""What `aftercare run` says at each start about signing in, as a person meets it: the console
script in a process of its own, started twice on the same data folder, on a loopback port."""

from __future__ import annotations

import re
import shlex
import subprocess
import time
from pathlib import Path

from tests.servers import BIN, free_port, get

AFTERCARE = BIN / "aftercare"
START_TIMEOUT_S = 60


def start_and_stop(folder: Path, log: str, **settings: str) -> tuple[str, str]:
    """`aftercare run` until it answers on its port (or a bounded wait ends), then stopped:
    what it printed, and its address."""
    port = free_port()
    output = folder / log
    with output.open("wb") as out:
        server = subprocess.Popen(
            [str(AFTERCARE), "run", "--port", str(port), "--no-scheduler"],
            cwd=folder,
            env={"PATH": "/usr/bin:/bin", "HOME": str(folder), **settings},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert server.poll() is None, output.read_text()
            try:
                if get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError(f"aftercare run did not answer in time:\n{output.read_text()}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return output.read_text(), base


def run_printed(command: str, folder: Path, stdin: str = "", **settings: str) -> str:
    """A command as `aftercare run` printed it, run as a person would paste it."""
    result = subprocess.run(
        shlex.split(command),
        input=stdin,
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder), **settings},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_every_start_says_how_to_sign_in_to_the_demo_and_how_to_get_a_new_link(tmp_path):
    first, base = start_and_stop(tmp_path, "first.log")
    assert "Demo data created" in first, first
    password = re.search(r"password: (\S+)", first).group(1)
    assert f"Patient enrollment link (open it on a phone, once): {base}/enroll/" in first

    second, base = start_and_stop(tmp_path, "second.log")
    assert "Demo data created" not in second and password not in second, second
    assert f"Clinician sign-in: {base}/clinic/login" in second
    assert "email:    demo@aftercare.test" in second
    assert "password: shown at the first start only" in second
    assert "Patient enrollment link: shown at the first start only" in second
    # The command it names gives a new password and a link on this server's address.
    command = re.search(r"^    (\S+ demo --base-url \S+)$", second, re.MULTILINE).group(1)
    assert command == f"{AFTERCARE} demo --base-url {base}"
    made = run_printed(command, tmp_path)
    assert re.search(r"^Clinician: demo@aftercare\.test / \S+$", made, re.MULTILINE), made
    assert f"Enrollment link: {base}/enroll/" in made
    # The demo clinician is no admin: the way to make one names the demo clinic.
    assert "No admin yet (only admins open Settings, Clinicians and the Audit trail)" in second
    admin = re.search(r"^    (\S+ create-clinician .* --admin)$", second, re.MULTILINE)
    assert admin, second
    # As the README's Quick start gives it: an admin beside the demo clinician.
    assert admin.group(1) == (
        f'{AFTERCARE} create-clinician --clinic-id 1 --email you@example.org --name "Your name"'
        " --admin"
    )
    assert run_printed(admin.group(1), tmp_path, stdin="a long enough password\n").strip() == "2"


def test_without_demo_data_a_start_says_how_to_make_an_admin_or_the_demo(tmp_path):
    said, base = start_and_stop(tmp_path, "run.log", AFTERCARE_DEMO="0")
    assert "Demo data" not in said
    assert f"Clinicians sign in at {base}/clinic/login" in said
    assert f"Or try the app with demo data: {AFTERCARE} demo --base-url {base}" in said
    # The commands it prints make a clinic and an admin who can sign in.
    clinic = re.search(r"^    (\S+ create-clinic --name \"Your clinic\")", said, re.MULTILINE)
    assert run_printed(clinic.group(1), tmp_path).strip() == "1"
    admin = re.search(r"^    (\S+ create-clinician .* --admin)$", said, re.MULTILINE).group(1)
    assert "--clinic-id <id>" in admin
    made = run_printed(admin.replace("<id>", "1"), tmp_path, stdin="a long enough password\n")
    assert made.strip() == "1"

    again, _ = start_and_stop(tmp_path, "again.log", AFTERCARE_DEMO="0")
    assert "Clinicians sign in at" in again and "No admin yet" not in again
