"""The app's three keys: what each protects, where it lives, and making one only when asked.

- The secret key signs clinicians' session cookies, CSRF tokens and the "known browser" cookie,
  and keys the sign-in counters. Losing or changing it signs every clinician out, nothing more,
  once the two-factor secrets have a key of their own.
- The two-factor key encrypts clinicians' two-factor (TOTP) secrets in the database. Losing it
  means every clinician who uses two-factor sign-in must have it reset and set it up again.
  Installs made before it existed encrypted those secrets with the secret key; they stay
  readable, and `aftercare keys rotate secret-key` moves them to the two-factor key first.
- The Web Push (VAPID) key identifies this server to push services. Losing or changing it
  stops every reminder reaching the phones that turned them on, until each turns them on again.

Each is read from a setting (the key itself, or a file named by ..._FILE), or from the data
folder. Reading never makes a key: only `aftercare keys create`, a local trial (`aftercare run`
without production settings) or `--init` / AFTERCARE_INIT=1 do, so a command run with the wrong
settings stops instead of quietly making new keys that would not match the clinic's data.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from .config import ConfigError, create_once


@dataclass(frozen=True)
class KeyKind:
    """One of the app's keys, and what it is for."""

    name: str  # as in key files and backup manifests
    label: str
    variable: str  # the setting that holds the key itself; VARIABLE_FILE names a file
    file_name: str  # in the data folder
    protects: str
    losing_it: str


SECRET = KeyKind(
    "secret_key",
    "secret key",
    "AFTERCARE_SECRET_KEY",
    "secret_key",
    "signs clinicians' sessions, forms and sign-in cookies",
    "every clinician is signed out; two-factor secrets not yet moved to the two-factor key "
    "cannot be read",
)
TWO_FACTOR = KeyKind(
    "two_factor_key",
    "two-factor key",
    "AFTERCARE_TWO_FACTOR_KEY",
    "two_factor_key",
    "encrypts clinicians' two-factor secrets in the database",
    "every clinician who uses two-factor sign-in needs it reset by an admin, and admins need "
    "a new admin made with `aftercare create-clinician --admin`",
)
WEB_PUSH = KeyKind(
    "vapid",
    "Web Push key",
    "AFTERCARE_VAPID_PRIVATE_KEY",
    "vapid_private.pem",
    "identifies this server to the phones' push services",
    "reminders stop reaching every phone until reminders are turned on again on each",
)
KINDS = (SECRET, TWO_FACTOR, WEB_PUSH)


class MissingKeys(ConfigError):
    """Keys the app needs are not there, and this process was not asked to make them."""


@dataclass(frozen=True)
class KeyPlace:
    """Where a key is, or would be made, and its value if it is there."""

    kind: KeyKind
    where: str  # in words: "AFTERCARE_SECRET_KEY", "/var/lib/aftercare/secret_key (data folder)"
    path: Path | None  # the file, unless the key is in a setting itself
    value: str | None

    @property
    def from_setting(self) -> bool:
        return self.path is None or self.where.startswith("AFTERCARE_")


def locate(kind: KeyKind, env: Mapping[str, str], data_dir: Path) -> KeyPlace:
    """Where `kind` comes from for these settings, read but never made."""
    if env.get(kind.variable):
        return KeyPlace(kind, kind.variable, None, env[kind.variable])
    file_variable = f"{kind.variable}_FILE"
    if env.get(file_variable):
        path = Path(env[file_variable])
        return KeyPlace(kind, f"{file_variable}={path}", path, _read(path, file_variable))
    path = data_dir / kind.file_name
    return KeyPlace(kind, f"{path} in the data folder", path, _read(path, str(path)))


def _read(path: Path, name: str) -> str | None:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ConfigError(f"{name} cannot be read: {error}") from None
    # A PEM keeps its line breaks; a secret is one line, whatever editor saved it.
    return text if text.startswith("-----BEGIN") else text.strip()


def fingerprint(kind: KeyKind, value: str) -> str:
    """A short hash that tells keys apart without revealing them, as backups record them."""
    from .backups.keys import fingerprint_of

    return fingerprint_of(kind.name, value)


def _new_secret() -> str:
    return secrets.token_urlsafe(48)


def _new_web_push_key() -> str:
    from .reminders.vapid import new_private_pem

    return new_private_pem()


MAKERS: dict[str, Callable[[], str]] = {
    SECRET.name: _new_secret,
    TWO_FACTOR.name: _new_secret,
    WEB_PUSH.name: _new_web_push_key,
}


def places(app: Flask) -> list[KeyPlace]:
    """Where each key of this app is, read afresh from the environment and the data folder."""
    return [locate(kind, os.environ, app.config["DATA_DIR"]) for kind in KINDS]


def make_missing(app: Flask) -> list[KeyPlace]:
    """Make each key that is not there yet, in its file (private from its first byte).

    Keys given in a setting are never replaced. Processes starting together agree on one key.
    Returns the keys made, and loads them into the app's settings.
    """
    made = []
    for place in places(app):
        if place.value is not None:
            continue
        if place.path is None:  # pragma: no cover (a setting with a value is never missing)
            continue
        try:
            place.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            create_once(place.path, MAKERS[place.kind.name]())
        except OSError as error:
            message = f"the {place.kind.label} cannot be made at {place.path}: {error}"
            raise ConfigError(message) from None
        made.append(place)
    _load_into(app)
    return made


def _load_into(app: Flask) -> None:
    found = {place.kind.name: place.value for place in places(app)}
    app.config["SECRET_KEY"] = found[SECRET.name]
    app.config["TWO_FACTOR_KEY"] = found[TWO_FACTOR.name]
    app.extensions.pop("aftercare.vapid", None)


def required_missing(app: Flask) -> list[KeyPlace]:
    """Keys the app cannot serve without: the secret key and the Web Push key.

    A missing two-factor key is not fatal: until one is made, two-factor secrets stay
    encrypted with the secret key, as they were before it existed.
    """
    return [
        place for place in places(app) if place.value is None and place.kind in (SECRET, WEB_PUSH)
    ]


def prepare(app: Flask, make: bool) -> list[KeyPlace]:
    """Make sure the app has its keys before it serves: make missing ones if `make`, else stop."""
    if make:
        return make_missing(app)
    missing = required_missing(app)
    if missing:
        raise MissingKeys(missing_message(missing))
    return []


def missing_message(missing: list[KeyPlace]) -> str:
    listed = "; ".join(f"the {place.kind.label} ({place.where})" for place in missing)
    return (
        f"These keys are missing: {listed}. If this is a new install, make them with "
        f"`aftercare keys create`. If not, the settings may not be the server's "
        f"(`aftercare --env-file /etc/aftercare/env ...`), or the keys need restoring from "
        f"the key file (see README, Keys)."
    )


@dataclass(frozen=True)
class FileCheck:
    """Whether a key file is private to its owner."""

    mode: int
    owner: str
    private: bool


def file_check(path: Path) -> FileCheck:
    info = path.stat()
    try:
        import pwd

        owner = pwd.getpwuid(info.st_uid).pw_name
    except (KeyError, ImportError):
        owner = str(info.st_uid)
    mode = stat.S_IMODE(info.st_mode)
    return FileCheck(mode, owner, private=not mode & 0o077)
