"""deploy/: the systemd units, the settings file and Caddy, run as a clinic would run them.

The big test installs Aftercare the README's way on this machine, from deploy/'s own files:
PostgreSQL (the test's server), the keys, the migration unit, the clinic and its admin, gunicorn
and the scheduler as their units start them, and Caddy from Debian's package with `tls internal`
in front. Then an admin, a clinician's browser and a patient's phone use it over HTTPS,
verified against Caddy's own root certificate.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool

from aftercare.keys import KINDS
from aftercare.models import CheckIn, Clinic
from tests.conftest import PASSWORD
from tests.databases import SERVER_VARIABLE
from tests.deploy_files import (
    DEPLOY,
    INSTALLED_BIN,
    ROOT,
    UNITS,
    caddy_installed,
    run_oneshot,
    run_unit,
    serve_caddy,
    settings_file,
    template_settings,
    unit_environment,
    wait_for,
)
from tests.people_over_http import HTTP_TIMEOUT_S, Admin, Phone, browser
from tests.servers import BIN, free_port

postgresql_pass_only = pytest.mark.skipif(
    not os.environ.get(SERVER_VARIABLE),
    reason="runs once, in the PostgreSQL pass of scripts/test",
)
needs_caddy = pytest.mark.skipif(
    not caddy_installed(), reason="Caddy is not installed (scripts/test installs Debian's caddy)"
)


def test_deploy_has_a_unit_for_the_web_app_the_scheduler_and_the_migration():
    assert {
        "aftercare-migrate.service",
        "aftercare-web.service",
        "aftercare-scheduler.service",
    } <= set(UNITS)


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd's tools are not installed here"
)
def test_every_unit_passes_systemd_analyze_verify(tmp_path):
    # `verify` checks that each command exists, so the units are checked with this checkout's
    # virtual environment in place of /srv/aftercare/.venv; the rest is as shipped. They are
    # verified together, so that the web app's and the scheduler's Requires= find the migration.
    for name in UNITS:
        text = (DEPLOY / name).read_text()
        (tmp_path / name).write_text(text.replace(INSTALLED_BIN, f"{BIN}/"))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "--generators=no"]
        + [str(tmp_path / name) for name in UNITS],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Warnings (an unknown setting, say) leave the exit status 0: any output counts.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def settings_the_app_reads() -> set[str]:
    """Every AFTERCARE_* setting named in the package, and the key files' _FILE variants."""
    names: set[str] = set()
    for path in (ROOT / "aftercare").rglob("*.py"):
        names |= set(re.findall(r"\b(AFTERCARE_[A-Z0-9_]*[A-Z0-9])\b", path.read_text()))
    names |= {kind.variable for kind in KINDS} | {f"{kind.variable}_FILE" for kind in KINDS}
    # The file names itself to `aftercare` commands; it is not a setting in it.
    return names - {"AFTERCARE_ENV_FILE"} | {"DATABASE_URL", "WEB_CONCURRENCY"}


def test_the_settings_template_names_every_setting_the_app_reads():
    assert settings_the_app_reads() - set(template_settings()) == set()


def test_the_settings_template_is_read_the_same_by_systemd_and_by_aftercare(tmp_path):
    env_file = settings_file(tmp_path / "env", {"AFTERCARE_DATA_DIR": "/srv/$HOME/a b"})
    env = unit_environment(env_file)
    assert env["AFTERCARE_DATA_DIR"] == "/srv/$HOME/a b"  # no $ expansion, as systemd
    assert env["AFTERCARE_HTTPS"] == "1" and "AFTERCARE_DEMO" not in env


@postgresql_pass_only
@needs_caddy
def test_the_production_layout_serves_a_clinic_and_its_patients_over_https(
    tmp_path, empty_database_url
):
    data = tmp_path / "var-lib-aftercare"
    data.mkdir(mode=0o700)
    web_port = free_port()
    with serve_caddy(tmp_path / "caddy", f"127.0.0.1:{web_port}") as caddy:
        env_file = settings_file(
            tmp_path / "env",
            {
                "DATABASE_URL": empty_database_url,
                "AFTERCARE_DATA_DIR": str(data),
                "AFTERCARE_BASE_URL": caddy.url,
                "AFTERCARE_BIND": f"127.0.0.1:{web_port}",
                "WEB_CONCURRENCY": "2",
                "AFTERCARE_SCHEDULER_INTERVAL_SECONDS": "1",
            },
        )

        # The README's install, step by step, from an operator's shell with no settings of
        # its own: everything comes from the settings file.
        def aftercare(*args: str, stdin: str = "") -> str:
            result = subprocess.run(
                [str(BIN / "aftercare"), "--env-file", str(env_file), *args],
                input=stdin,
                env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert result.returncode == 0, result.stdout + result.stderr
            return result.stdout

        made = aftercare("keys", "create")
        assert made.count(": made,") == 3, made
        unit_env = unit_environment(env_file)
        run_oneshot("aftercare-migrate.service", unit_env, data)
        clinic = aftercare(
            "create-clinic", "--name", "Riverside", "--timezone", "America/Chicago"
        ).strip()
        aftercare(
            "create-clinician",
            *("--clinic-id", clinic, "--email", "lead@riverside.test", "--name", "Lead"),
            "--admin",
            stdin=f"{PASSWORD}\n",
        )
        with (
            run_unit("aftercare-web.service", unit_env, data, tmp_path) as web,
            run_unit("aftercare-scheduler.service", unit_env, data, tmp_path) as scheduler,
        ):
            wait_for(f"{caddy.url}/healthz", web, verify=str(caddy.root_certificate))
            seen = check_the_clinic_over_https(caddy, empty_database_url)
            health = wait_for_a_scheduler_pass(caddy)
            assert health["status"] == "ok"
            assert "reminders: pass done in" in scheduler.output()
            assert "Traceback" not in web.output() + scheduler.output()
        # The data folder holds the keys, private, and nothing else.
        assert sorted(p.name for p in data.iterdir() if p.is_file()) == [
            "secret_key",
            "two_factor_key",
            "vapid_private.pem",
        ]
        assert {oct(p.stat().st_mode & 0o777) for p in data.iterdir() if p.is_file()} == {"0o600"}
    check_the_proxy_logs(caddy, seen)


def wait_for_a_scheduler_pass(caddy) -> dict:  # noqa: ANN001
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = requests.get(
            f"{caddy.url}/healthz?scheduler=1",
            verify=str(caddy.root_certificate),
            timeout=HTTP_TIMEOUT_S,
        )
        if answer.status_code == 200:
            return answer.json()
        time.sleep(0.2)
    raise AssertionError(f"no scheduler pass reported: {answer.status_code} {answer.text}")


def check_the_clinic_over_https(caddy, database_url: str) -> dict[str, str]:  # noqa: ANN001
    """Use the clinic as its people would; the secrets seen, which no log may hold."""
    seen: dict[str, str] = {}
    base, root = caddy.url, str(caddy.root_certificate)

    # HSTS on every page. An admin sets up two-factor sign-in first; their cookies are Secure.
    page = browser(root).get(f"{base}/clinic/login", timeout=HTTP_TIMEOUT_S)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    admin = Admin(base, "lead@riverside.test", root)
    admin.first_sign_in()
    assert admin.http.cookies and all(cookie.secure for cookie in admin.http.cookies)
    seen["clinician session cookie"] = admin.http.cookies.get("aftercare_session")

    # A patient, and an enrollment link on the public address.
    patient = admin.new_patient("Alex")  # lands on their QR code and link
    link = patient.enrollment_link
    assert link.startswith(f"{base}/enroll/"), link
    seen["enrollment token"] = link.rsplit("/", 1)[1]

    # The patient's phone links itself, with a Secure cookie, and checks in.
    phone = Phone(link, root)
    assert phone.device_cookie.secure
    seen["device cookie"] = phone.device_cookie.value
    answer = phone.check_in(nausea="2")
    assert answer.status_code == 201, answer.text
    assert answer.json()["created"] is True

    # The clinic sees it; there is no demo clinic beside the real one.
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            assert connection.execute(select(func.count(CheckIn.id))).scalar_one() == 1
            assert connection.execute(select(Clinic.name)).scalars().all() == ["Riverside"]
    finally:
        engine.dispose()
    assert admin.http.get(patient.url, timeout=HTTP_TIMEOUT_S).status_code == 200

    # Too large a body: 413 from Caddy, whether its size is declared or not.
    large = b"note=" + b"x" * (70 * 1024)
    declared = phone.http.post(f"{base}/check-in", data=large, timeout=HTTP_TIMEOUT_S)
    assert declared.status_code == 413
    streamed = phone.http.post(
        f"{base}/check-in", data=(large[i : i + 8192] for i in range(0, len(large), 8192))
    )
    assert streamed.status_code == 413
    return seen


def check_the_proxy_logs(caddy, seen: dict[str, str]) -> None:  # noqa: ANN001
    """Caddy has stopped, so its logs are whole."""
    access = caddy.access_log.read_text()
    assert '"uri":"/enroll/[token]"' in access
    assert '"status":413' in access
    everything = access + caddy.log.read_text()
    for what, value in seen.items():
        assert value and value not in everything, f"the {what} is in Caddy's logs"
    # No request or response headers at all (Caddy would mask cookies, but not all else).
    assert '"headers"' not in access and '"resp_headers"' not in access


def test_the_caddyfile_is_one_caddy_accepts(tmp_path):
    if not caddy_installed():
        pytest.skip("Caddy is not installed (scripts/test installs Debian's caddy)")
    result = subprocess.run(
        ["caddy", "validate", "--adapter", "caddyfile", "--config", str(DEPLOY / "Caddyfile")],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# scripts/test installs Debian's nginx-light; Debian puts nginx in /usr/sbin, which a plain
# user's PATH may lack.
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed here")
def test_the_nginx_site_is_one_nginx_accepts(tmp_path):
    site = (DEPLOY / "nginx.conf").read_text()
    certificate, key = self_signed(tmp_path)
    for old, new in (
        ("/etc/letsencrypt/live/aftercare.example.org/fullchain.pem", str(certificate)),
        ("/etc/letsencrypt/live/aftercare.example.org/privkey.pem", str(key)),
        ("/var/log/nginx/", f"{tmp_path}/"),
        ("listen 80;", f"listen 127.0.0.1:{free_port()};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{free_port()} ssl http2;"),
    ):
        assert old in site, old
        site = site.replace(old, new)
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    (tmp_path / "site.conf").write_text(site)
    temporary = " ".join(
        f"{kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n{temporary}\ninclude {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [str(NGINX), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for localhost and its key, as PEM files."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return folder / "cert.pem", folder / "key.pem"
