"""Settings from the environment, parsed strictly: a bad value stops start-up and names it."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# A host name or IP literal with an optional port, as a Host header carries it.
_HOST = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


class ConfigError(RuntimeError):
    """A setting in the environment has a value the app cannot use."""


def env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    """Read a yes/no setting: 1/0, true/false, yes/no, on/off, nothing else."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be 1 or 0 (true/false), not {raw!r}")


def env_int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    """Read a whole-number setting no smaller than `minimum`."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    return value


def _secret_key(env: Mapping[str, str], data_dir: Path) -> str | None:
    """The session-signing key from the environment, a file or the data folder; None if there
    is none yet. Reading makes nothing: see aftercare.keys for who makes keys, and when."""
    from .keys import SECRET, locate

    return locate(SECRET, env, data_dir).value


def create_once(path: Path, text: str) -> None:
    """Make a private file (0600 from its first byte) unless another process made it first.

    Written whole under a name of its own, then linked into place: gunicorn's workers each build
    the app at the same moment, and must agree on one key without reading a half-written one.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink()


def _database_url(env: Mapping[str, str], data_dir: Path) -> str:
    """SQLite in the data folder, or DATABASE_URL; PostgreSQL always through psycopg 3."""
    url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'aftercare.sqlite3'}"
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise ConfigError(f"DATABASE_URL must look like postgresql://user@host/name, not {url!r}")
    # Hosting platforms often hand out postgres:// URLs; SQLAlchemy's own default driver for
    # postgresql:// is psycopg2, which Aftercare does not install.
    if scheme in {"postgres", "postgresql"}:
        return f"postgresql+psycopg://{rest}"
    if scheme not in {"sqlite", "postgresql+psycopg"}:
        raise ConfigError(
            f"DATABASE_URL must be a sqlite:// or postgresql:// URL, not one starting {scheme}://"
        )
    return url


def _port_is_valid(netloc: str) -> bool:
    try:
        urlsplit(f"//{netloc}").port  # noqa: B018 (reading the port checks it)
    except ValueError:
        return False
    return True


def _base_url(env: Mapping[str, str]) -> str:
    """The public address links are made from: scheme and host (and port) only, or nothing."""
    raw = (env.get("AFTERCARE_BASE_URL") or "").strip()
    if not raw:
        return ""
    url = raw.rstrip("/")
    parts = urlsplit(url)
    if (
        parts.scheme not in {"http", "https"}
        or not _port_is_valid(parts.netloc)
        or not parts.hostname
        or parts.username is not None
        or parts.path
        or parts.query
        or parts.fragment
        or not _HOST.fullmatch(parts.netloc)
    ):
        raise ConfigError(
            "AFTERCARE_BASE_URL must be the public address alone, like"
            f" https://aftercare.example.org (no path), not {raw!r}"
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def load_config(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask configuration from environment variables."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("AFTERCARE_DATA_DIR") or "instance").resolve()
    database_url = _database_url(env, data_dir)
    https = env_bool(env, "AFTERCARE_HTTPS", False)
    base_url = _base_url(env)
    subject = env.get("AFTERCARE_VAPID_SUBJECT") or (
        base_url if base_url.startswith("https:") else "mailto:aftercare@localhost"
    )
    if not subject.startswith(("mailto:", "https:")):
        raise ConfigError(
            f"AFTERCARE_VAPID_SUBJECT must start with mailto: or https:, not {subject!r}"
        )
    production = https or base_url.startswith("https:")
    if production:
        _check_production(env)
    return {
        "DATA_DIR": data_dir,
        "SECRET_KEY": _secret_key(env, data_dir),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "DEMO": _demo(env, production),
        # Behind HTTPS: storage named explicitly, no demo data, nothing made unasked.
        "PRODUCTION": production,
        # Whether a missing SQLite database or key may be made (aftercare.keys, aftercare.cli).
        "MAKE_MISSING": env_bool(env, "AFTERCARE_INIT", False) or not production,
        "TWO_FACTOR_KEY": _two_factor_key(env, data_dir),
        "SCHEDULER_STALE_SECONDS": _stale_after(env),
        "BASE_URL": base_url,
        "HTTPS": https,
        "PROXY_COUNT": env_int(env, "AFTERCARE_PROXY_COUNT", 0),
        "ENROLLMENT_DAYS": env_int(env, "AFTERCARE_ENROLLMENT_DAYS", 7, minimum=1),
        "DEVICE_DAYS": env_int(env, "AFTERCARE_DEVICE_DAYS", 365, minimum=1),
        # Patients' check-in forms are kept on the phone and may be sent hours after they were
        # filled in, so their CSRF tokens stay valid for this long (bound to the device session).
        "CHECKIN_CSRF_HOURS": env_int(env, "AFTERCARE_CHECKIN_CSRF_HOURS", 72, minimum=1),
        "SESSION_COOKIE_NAME": "aftercare_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
        "MAX_CONTENT_LENGTH": 64 * 1024,
        "WTF_CSRF_TIME_LIMIT": 3600,
        # Flask-WTF's HTTPS check wants a Referer header, which Referrer-Policy: no-referrer
        # stops browsers sending; aftercare.security checks the Origin header instead.
        "WTF_CSRF_SSL_STRICT": False,
        # A failed statement's error message leaves out its parameters, which may be a
        # patient's answers: logs hold no patient data.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        # Web Push. The key pair is made in the data folder on first start unless given.
        "VAPID_PRIVATE_KEY": env.get("AFTERCARE_VAPID_PRIVATE_KEY") or None,
        "VAPID_PRIVATE_KEY_FILE": env.get("AFTERCARE_VAPID_PRIVATE_KEY_FILE") or None,
        "VAPID_SUBJECT": subject,
        "PUSH_TIMEOUT_SECONDS": env_int(env, "AFTERCARE_PUSH_TIMEOUT_SECONDS", 10, minimum=1),
        "PUSH_CONCURRENCY": env_int(env, "AFTERCARE_PUSH_CONCURRENCY", 64, minimum=1),
        "PUSH_BATCH_SIZE": env_int(env, "AFTERCARE_PUSH_BATCH_SIZE", 500, minimum=1),
        "PUSH_LEASE_SECONDS": env_int(env, "AFTERCARE_PUSH_LEASE_SECONDS", 120, minimum=5),
        "PUSH_RETRY_HOURS": env_int(env, "AFTERCARE_PUSH_RETRY_HOURS", 6, minimum=1),
        # The push services endpoints may point to (host suffixes, each with its port).
        "PUSH_SERVICES": _push_services(env),
        # Only for tests and local trials with a local push receiver: real ones are HTTPS.
        "PUSH_ALLOW_LOOPBACK_HTTP": env_bool(env, "AFTERCARE_PUSH_ALLOW_LOOPBACK_HTTP", False),
        # Email reminders by SMTP (AFTERCARE_SMTP_URL); None: email is off.
        "SMTP": _smtp(env, base_url),
        # Phones linked to one patient at a time; each gets every reminder.
        "MAX_DEVICES": env_int(env, "AFTERCARE_MAX_DEVICES", 5, minimum=1),
        "SCHEDULER_INTERVAL_SECONDS": _interval(env),
        "SCHEDULER_NICE": _niceness(env),
        # Clinicians are signed out after this long without a request.
        "CLINICIAN_IDLE_MINUTES": env_int(env, "AFTERCARE_CLINICIAN_IDLE_MINUTES", 30, minimum=1),
        # An emergency or crisis alert nobody acknowledged for this long stands out.
        "ALERT_OVERDUE_MINUTES": env_int(env, "AFTERCARE_ALERT_OVERDUE_MINUTES", 15, minimum=1),
        # A folder of a clinic's own licensed questionnaires (JSON, as aftercare/care/instruments).
        "INSTRUMENTS_DIR": env.get("AFTERCARE_INSTRUMENTS_DIR") or "",
        "RATELIMIT_STORAGE_URI": _ratelimit_storage(env),
        "RATELIMIT_HEADERS_ENABLED": True,
    }


def _push_services(env: Mapping[str, str]) -> tuple[tuple[str, int], ...]:
    """The allowed push services as (host suffix, port), from a comma-separated list."""
    from .reminders.endpoints import DEFAULT_PUSH_SERVICES, PushService

    raw = env.get("AFTERCARE_PUSH_SERVICES") or ",".join(DEFAULT_PUSH_SERVICES)
    services = []
    for entry in raw.split(","):
        if not entry.strip():
            continue
        try:
            service = PushService.parse(entry)
        except ValueError as error:
            raise ConfigError(f"AFTERCARE_PUSH_SERVICES: {error}") from None
        services.append((service.suffix, service.port))
    if not services:
        raise ConfigError("AFTERCARE_PUSH_SERVICES must name at least one push service")
    return tuple(services)


def _smtp(env: Mapping[str, str], base_url: str) -> Any:
    # Imported here, as the reminders package imports this module's helpers.
    from .reminders.smtp import SmtpSettingError, smtp_settings

    try:
        return smtp_settings(env, base_url)
    except SmtpSettingError as error:
        raise ConfigError(str(error)) from None


def _niceness(env: Mapping[str, str]) -> int:
    """How far `aftercare scheduler` lowers its CPU priority, as nice(1) counts it (0 to 19)."""
    value = env_int(env, "AFTERCARE_SCHEDULER_NICE", 10)
    if value > 19:
        raise ConfigError(f"AFTERCARE_SCHEDULER_NICE must be at most 19, not {value}")
    return value


def _interval(env: Mapping[str, str]) -> int:
    """Seconds between scheduler ticks: reminders must not wait more than half a minute."""
    value = env_int(env, "AFTERCARE_SCHEDULER_INTERVAL_SECONDS", 15, minimum=1)
    if value > 30:
        raise ConfigError(f"AFTERCARE_SCHEDULER_INTERVAL_SECONDS must be at most 30, not {value}")
    return value


def _check_production(env: Mapping[str, str]) -> None:
    """Behind HTTPS, the data must not land in ./instance because a setting was forgotten."""
    if not (env.get("DATABASE_URL") or env.get("AFTERCARE_DATA_DIR")):
        raise ConfigError(
            "AFTERCARE_HTTPS=1 (or an https AFTERCARE_BASE_URL) is production: set DATABASE_URL "
            "or AFTERCARE_DATA_DIR too, so that the data and keys are where you mean them to be"
        )


def _demo(env: Mapping[str, str], production: bool) -> bool:
    """Demo data on first start: on by default for a local trial, never in production."""
    demo = env_bool(env, "AFTERCARE_DEMO", not production)
    if demo and production:
        raise ConfigError(
            "AFTERCARE_DEMO=1 cannot be used with AFTERCARE_HTTPS=1 (or an https "
            "AFTERCARE_BASE_URL): demo data has a published password"
        )
    return demo


def _two_factor_key(env: Mapping[str, str], data_dir: Path) -> str | None:
    """The key of clinicians' two-factor secrets, or None (then the secret key is used)."""
    from .keys import TWO_FACTOR, locate

    return locate(TWO_FACTOR, env, data_dir).value


def _stale_after(env: Mapping[str, str]) -> int:
    """Seconds after which the scheduler's last good pass counts as too old (/healthz).

    Four ticks, or one push lease if that is longer: a large fan-out may keep a pass busy for
    most of a lease, and the health check must not fail while it is merely busy.
    """
    default = max(4 * _interval(env), env_int(env, "AFTERCARE_PUSH_LEASE_SECONDS", 120, 5))
    value = env_int(env, "AFTERCARE_SCHEDULER_STALE_SECONDS", default, minimum=1)
    if value <= _interval(env):
        raise ConfigError(
            f"AFTERCARE_SCHEDULER_STALE_SECONDS must be longer than the scheduler's interval "
            f"({_interval(env)} s), not {value}"
        )
    return value


def _ratelimit_storage(env: Mapping[str, str]) -> str:
    """Where sign-in attempts are counted, checked now rather than at the first sign-in.

    Messages name the scheme only: the address may hold a password.
    """
    uri = env.get("AFTERCARE_RATELIMIT_STORAGE_URI") or "memory://"
    if uri == "memory://":
        return uri
    from limits.errors import ConfigurationError
    from limits.storage import storage_from_string

    scheme = uri.partition("://")[0] if "://" in uri else "?"
    try:
        storage_from_string(uri)
    except ConfigurationError as error:
        if "unknown storage scheme" in str(error):
            raise ConfigError(
                f"AFTERCARE_RATELIMIT_STORAGE_URI names a store that cannot be used ({scheme}"
                f"://...): give memory://, or redis://host:port/db (or memcached://host:port)"
            ) from None
        extra = "memcached" if scheme.startswith("memcached") else "redis"
        raise ConfigError(
            f"AFTERCARE_RATELIMIT_STORAGE_URI cannot be used ({scheme}://...): "
            f"{str(error).split('. ')[0]}. Install it with: pip install 'aftercare[{extra}]'"
        ) from None
    except Exception as error:  # a malformed address: each store reads it its own way
        raise ConfigError(
            f"AFTERCARE_RATELIMIT_STORAGE_URI cannot be used ({scheme}://...): "
            f"{type(error).__name__}"
        ) from None
    return uri
