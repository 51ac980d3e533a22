"""The keys kept in the data folder, which a backup leaves out: where they are, and a key file.

- The secret key signs sessions and unlocks clinicians' two-factor secrets: restored without it,
  clinicians who use two-factor sign-in cannot finish signing in.
- The Web Push (VAPID) key identifies this server to push services: restored without it,
  reminders stop reaching the phones that had turned them on.

Together with a copy of the database they are worth more to an attacker than the copy alone
(two-factor secrets in the clear, notifications to patients' phones in the clinic's name), so
they go to a key file of their own, to be kept apart from the backups.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from flask import Flask

from ..config import ConfigError
from ..reminders.vapid import KEY_FILE as VAPID_FILE
from ..reminders.vapid import load_vapid
from .files import write_private

SECRET_FILE = "secret_key"  # noqa: S105 (a file name, as aftercare.config makes it)
FORMAT = "aftercare-keys"
VERSION = 1


class KeyFileError(ValueError):
    """The key file cannot be used; the message says why."""


@dataclass(frozen=True)
class Keys:
    """A secret key and, once one has been made, the VAPID private key (PEM)."""

    secret_key: str
    vapid_private_key: str | None


@dataclass(frozen=True)
class KeySource:
    """Where the app takes a key from: a setting, or the data folder."""

    value: str | None
    where: str

    @property
    def from_environment(self) -> bool:
        return self.where.startswith("AFTERCARE_")


def _fingerprint(material: bytes) -> str:
    return hashlib.sha256(b"aftercare key fingerprint\0" + material).hexdigest()[:16]


def _vapid_public(pem: str) -> bytes:
    vapid = load_vapid(pem, None, Path())
    return vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def fingerprints(keys: Keys) -> dict[str, str | None]:
    """Short hashes that tell keys apart without revealing them (the VAPID one is public)."""
    return {
        "secret_key": _fingerprint(keys.secret_key.encode()),
        "vapid": _fingerprint(_vapid_public(keys.vapid_private_key))
        if keys.vapid_private_key
        else None,
    }


def secret_key_source(app: Flask) -> KeySource:
    """The secret key the app starts with, read afresh (as aftercare.config chooses it)."""
    if os.environ.get("AFTERCARE_SECRET_KEY"):
        return KeySource(os.environ["AFTERCARE_SECRET_KEY"], "AFTERCARE_SECRET_KEY")
    if os.environ.get("AFTERCARE_SECRET_KEY_FILE"):
        path = Path(os.environ["AFTERCARE_SECRET_KEY_FILE"])
        return KeySource(_read(path), "AFTERCARE_SECRET_KEY_FILE")
    path = app.config["DATA_DIR"] / SECRET_FILE
    if path.exists():
        return KeySource(_read(path), f"the data folder ({path.name})")
    return KeySource(app.config["SECRET_KEY"], "the app's settings")


def vapid_source(app: Flask) -> KeySource:
    """The VAPID private key the app starts with (PEM), or None if it will make one."""
    config = app.config
    if config["VAPID_PRIVATE_KEY"]:
        pem = load_vapid(config["VAPID_PRIVATE_KEY"], None, Path()).private_pem().decode()
        return KeySource(pem, "AFTERCARE_VAPID_PRIVATE_KEY")
    if config["VAPID_PRIVATE_KEY_FILE"]:
        pem = load_vapid(None, config["VAPID_PRIVATE_KEY_FILE"], Path()).private_pem().decode()
        return KeySource(pem, "AFTERCARE_VAPID_PRIVATE_KEY_FILE")
    path = config["DATA_DIR"] / VAPID_FILE
    if path.exists():
        return KeySource(_read(path, strip=False), f"the data folder ({path.name})")
    return KeySource(None, "nowhere yet (a new one is made at the first start)")


def keys_in_use(app: Flask) -> Keys:
    """The keys this app runs with, made nowhere: a backup changes nothing on the server."""
    return Keys(app.config["SECRET_KEY"], vapid_source(app).value)


def _read(path: Path, strip: bool = True) -> str:
    try:
        text = path.read_text()
        return text.strip() if strip else text
    except OSError as error:
        raise ConfigError(f"{path} cannot be read: {error}") from None


def write_key_file(path: Path, keys: Keys) -> None:
    """The keys as a small JSON file readable only by its owner."""
    data = {
        "format": FORMAT,
        "version": VERSION,
        "secret_key": keys.secret_key,
        "vapid_private_key": keys.vapid_private_key,
        "fingerprints": fingerprints(keys),
    }
    write_private(path, json.dumps(data, indent=2).encode() + b"\n")


def read_key_file(path: Path) -> Keys:
    """The keys from a key file, checked: KeyFileError says what is wrong with it."""
    try:
        data = json.loads(path.read_bytes())
    except OSError as error:
        raise KeyFileError(f"{path} cannot be read: {error.strerror}") from None
    except ValueError:
        raise KeyFileError(f"{path} is not a key file made by `aftercare backup --keys`") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise KeyFileError(f"{path} is not a key file made by `aftercare backup --keys`")
    secret, vapid = data.get("secret_key"), data.get("vapid_private_key")
    if not isinstance(secret, str) or not secret or not isinstance(vapid, str | None):
        raise KeyFileError(f"{path} is not complete")
    keys = Keys(secret, vapid)
    try:
        fingerprints(keys)
    except ConfigError:
        raise KeyFileError(f"{path} does not hold a usable Web Push key") from None
    return keys


def keys_after_restore(app: Flask, keys: Keys | None) -> Keys:
    """The keys the app will start with once `keys` (from a key file, if any) are installed."""
    secret, vapid = secret_key_source(app), vapid_source(app)
    secret_key, vapid_key = secret.value or "", vapid.value
    # Keys set in the environment win over the data folder's, as at start-up.
    if keys is not None and not secret.from_environment:
        secret_key = keys.secret_key
    if keys is not None and keys.vapid_private_key and not vapid.from_environment:
        vapid_key = keys.vapid_private_key
    return Keys(secret_key, vapid_key)


def differences(made_with: dict[str, str | None], keys: Keys) -> list[str]:
    """Which of `keys` are not the ones a backup was made with ("secret key", "Web Push key")."""
    now = fingerprints(keys)
    return [
        label
        for name, label in (("secret_key", "secret key"), ("vapid", "Web Push key"))
        if made_with.get(name) and now[name] != made_with[name]
    ]


def install_keys(app: Flask, keys: Keys) -> list[str]:
    """Put the keys in the data folder, 0600, except those the environment gives; say what."""
    done = []
    folder: Path = app.config["DATA_DIR"]
    secret = secret_key_source(app)
    if secret.from_environment:
        done.append(f"secret key: not written, the app takes it from {secret.where}")
    else:
        write_private(folder / SECRET_FILE, keys.secret_key.encode())
        done.append(f"secret key: written to {folder / SECRET_FILE}")
    vapid = vapid_source(app)
    if keys.vapid_private_key is None:
        done.append("Web Push key: none in the key file")
    elif vapid.from_environment:
        done.append(f"Web Push key: not written, the app takes it from {vapid.where}")
    else:
        write_private(folder / VAPID_FILE, keys.vapid_private_key.encode())
        done.append(f"Web Push key: written to {folder / VAPID_FILE}")
    return done
