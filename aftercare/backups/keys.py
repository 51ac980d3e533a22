"""The keys kept in the data folder, which a backup leaves out: where they are, and a key file.

- The secret key signs sessions; installs made before the two-factor key existed also unlock
  clinicians' two-factor secrets with it.
- The two-factor key unlocks clinicians' two-factor secrets: restored without it, clinicians
  who use two-factor sign-in cannot finish signing in.
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

SECRET_FILE = "secret_key"  # noqa: S105 (a file name, as aftercare.keys makes it)
TWO_FACTOR_FILE = "two_factor_key"
FORMAT = "aftercare-keys"
VERSION = 1


LABELS = (
    ("secret_key", "secret key"),
    ("two_factor_key", "two-factor key"),
    ("vapid", "Web Push key"),
)


class KeyFileError(ValueError):
    """The key file cannot be used; the message says why."""


@dataclass(frozen=True)
class Keys:
    """A secret key and, once they have been made, the VAPID private key (PEM) and the
    two-factor key (key files and backups from before it existed have none)."""

    secret_key: str
    vapid_private_key: str | None
    two_factor_key: str | None = None


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


def fingerprint_of(name: str, value: str) -> str:
    """The fingerprint of one key by its name in key files and manifests (VAPID: its public
    half, which is no secret)."""
    if name == "vapid":
        return _fingerprint(_vapid_public(value))
    return _fingerprint(value.encode())


def fingerprints(keys: Keys) -> dict[str, str | None]:
    """Short hashes that tell keys apart without revealing them (the VAPID one is public)."""
    return {
        "secret_key": fingerprint_of("secret_key", keys.secret_key),
        "vapid": fingerprint_of("vapid", keys.vapid_private_key)
        if keys.vapid_private_key
        else None,
        "two_factor_key": fingerprint_of("two_factor_key", keys.two_factor_key)
        if keys.two_factor_key
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


def two_factor_source(app: Flask) -> KeySource:
    """The two-factor key the app starts with, or None if it has none yet."""
    from ..keys import TWO_FACTOR, locate

    place = locate(TWO_FACTOR, os.environ, app.config["DATA_DIR"])
    where = place.where if place.from_setting else f"the data folder ({TWO_FACTOR.file_name})"
    return KeySource(place.value, where)


def keys_in_use(app: Flask) -> Keys:
    """The keys this app runs with, made nowhere: a backup changes nothing on the server."""
    secret = app.config["SECRET_KEY"] or secret_key_source(app).value
    if not secret:
        from ..keys import SECRET, MissingKeys, locate, missing_message

        place = locate(SECRET, os.environ, app.config["DATA_DIR"])
        raise MissingKeys(missing_message([place]))
    return Keys(secret, vapid_source(app).value, two_factor_source(app).value)


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
        "two_factor_key": keys.two_factor_key,
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
    two_factor = data.get("two_factor_key")  # absent from key files made before it existed
    if (
        not isinstance(secret, str)
        or not secret
        or not isinstance(vapid, str | None)
        or not isinstance(two_factor, str | None)
    ):
        raise KeyFileError(f"{path} is not complete")
    keys = Keys(secret, vapid, two_factor or None)
    try:
        fingerprints(keys)
    except ConfigError:
        raise KeyFileError(f"{path} does not hold a usable Web Push key") from None
    return keys


def keys_after_restore(app: Flask, keys: Keys | None) -> Keys:
    """The keys the app will start with once `keys` (from a key file, if any) are installed."""
    secret, vapid, two_factor = secret_key_source(app), vapid_source(app), two_factor_source(app)
    secret_key, vapid_key, two_factor_key = secret.value or "", vapid.value, two_factor.value
    # Keys set in the environment win over the data folder's, as at start-up.
    if keys is not None and not secret.from_environment:
        secret_key = keys.secret_key
    if keys is not None and keys.vapid_private_key and not vapid.from_environment:
        vapid_key = keys.vapid_private_key
    if keys is not None and keys.two_factor_key and not two_factor.from_environment:
        two_factor_key = keys.two_factor_key
    return Keys(secret_key, vapid_key, two_factor_key)


def differences(made_with: dict[str, str | None], keys: Keys) -> list[str]:
    """Which of `keys` are not the ones a backup was made with ("secret key", "Web Push key")."""
    now = fingerprints(keys)
    return [label for name, label in LABELS if made_with.get(name) and now[name] != made_with[name]]


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
    two_factor = two_factor_source(app)
    if keys.two_factor_key is None:
        done.append("two-factor key: none in the key file")
    elif two_factor.from_environment:
        done.append(f"two-factor key: not written, the app takes it from {two_factor.where}")
    else:
        write_private(folder / TWO_FACTOR_FILE, keys.two_factor_key.encode())
        done.append(f"two-factor key: written to {folder / TWO_FACTOR_FILE}")
    return done
