"""The keys of clinicians' two-factor secrets: reading with either, moving them to a new one.

Secrets are encrypted with the two-factor key (AFTERCARE_TWO_FACTOR_KEY, or `two_factor_key` in
the data folder). Installs made before that key existed encrypted them with a key derived from
the secret key; those stay readable for as long as that secret key is in place, and are moved
to the two-factor key when the secret key is rotated (`aftercare keys rotate secret-key`), so
rotating it never makes clinicians set up two-factor sign-in again.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import Clinician


def _derived(material: str, info: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"aftercare-totp", info=info).derive(
        material.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def from_two_factor_key(key: str) -> Fernet:
    return _derived(key, b"two-factor-key")


def from_secret_key(key: str) -> Fernet:
    """The key of secrets stored before the two-factor key existed (as then derived)."""
    return _derived(key, b"totp-secrets")


def secret_box(config: Mapping[str, Any]) -> MultiFernet:
    """Encrypts with the two-factor key (or, before there is one, the secret key's); decrypts
    with either."""
    keys = []
    if config.get("TWO_FACTOR_KEY"):
        keys.append(from_two_factor_key(config["TWO_FACTOR_KEY"]))
    if config.get("SECRET_KEY"):
        keys.append(from_secret_key(config["SECRET_KEY"]))
    if not keys:
        raise RuntimeError("neither a two-factor key nor a secret key is set")
    return MultiFernet(keys)


@dataclass(frozen=True)
class Census:
    """How the stored two-factor secrets can be read with the keys in place."""

    two_factor_key: int = 0
    secret_key: int = 0
    unreadable: int = 0

    @property
    def total(self) -> int:
        return self.two_factor_key + self.secret_key + self.unreadable


def _stored(session: Session) -> list[tuple[int, str]]:
    rows = session.execute(
        select(Clinician.id, Clinician.totp_secret_encrypted).where(
            Clinician.totp_secret_encrypted != ""
        )
    )
    return [(clinician_id, token) for clinician_id, token in rows]


def _opens(fernet: Fernet | None, token: str) -> bool:
    if fernet is None:
        return False
    try:
        fernet.decrypt(token.encode())
    except (InvalidToken, ValueError):
        return False
    return True


def census(session: Session, two_factor_key: str | None, secret_key: str | None) -> Census:
    """Which key opens each stored secret (the two-factor key first)."""
    new = from_two_factor_key(two_factor_key) if two_factor_key else None
    old = from_secret_key(secret_key) if secret_key else None
    counts = {"two_factor_key": 0, "secret_key": 0, "unreadable": 0}
    for _, token in _stored(session):
        if _opens(new, token):
            counts["two_factor_key"] += 1
        elif _opens(old, token):
            counts["secret_key"] += 1
        else:
            counts["unreadable"] += 1
    return Census(**counts)


class SecretsUnreadable(RuntimeError):
    """Some stored secrets open with none of the keys given; nothing was changed."""


def move_secrets(session: Session, readers: list[Fernet], writer: Fernet) -> int:
    """Encrypt every stored secret with `writer`, reading it with any of `readers`.

    All or nothing: if any secret cannot be read, nothing is written. The caller commits.
    """
    box = MultiFernet(readers)
    moved: list[tuple[int, str]] = []
    unreadable = 0
    for clinician_id, token in _stored(session):
        try:
            plain = box.decrypt(token.encode())
        except (InvalidToken, ValueError):
            unreadable += 1
            continue
        moved.append((clinician_id, writer.encrypt(plain).decode()))
    if unreadable:
        raise SecretsUnreadable(
            f"{unreadable} clinician(s)' two-factor secrets cannot be read with the keys in "
            f"place, so none were moved"
        )
    for clinician_id, token in moved:
        session.execute(
            update(Clinician)
            .where(Clinician.id == clinician_id)
            .values(totp_secret_encrypted=token)
            .execution_options(synchronize_session=False)
        )
    return len(moved)
