"""The server's VAPID key pair, which identifies it to push services (RFC 8292)."""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02

from ..config import ConfigError, create_once

KEY_FILE = "vapid_private.pem"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _from_text(text: str, source: str) -> Vapid02:
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            return Vapid02.from_pem(text.encode())
        return Vapid02.from_raw(text.encode())
    except Exception as error:  # py_vapid raises several kinds for a bad key
        raise ConfigError(f"{source} does not hold a P-256 private key: {error}") from None


def new_private_pem() -> str:
    """A new P-256 key pair's private key, as PEM (PKCS#8)."""
    vapid = Vapid02()
    vapid.generate_keys()
    return vapid.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def load_vapid(
    key: str | None, key_file: str | None, data_dir: Path, create: bool = True
) -> Vapid02:
    """The key from the environment, a file, or the data folder (made there if `create`)."""
    if key:
        return _from_text(key, "AFTERCARE_VAPID_PRIVATE_KEY")
    if key_file:
        path = Path(key_file)
        try:
            text = path.read_text()
        except OSError as error:
            raise ConfigError(f"AFTERCARE_VAPID_PRIVATE_KEY_FILE cannot be read: {error}") from None
        return _from_text(text, "AFTERCARE_VAPID_PRIVATE_KEY_FILE")
    path = data_dir / KEY_FILE
    if not path.exists():
        if not create:
            from ..keys import WEB_PUSH, locate, missing_message

            raise ConfigError(missing_message([locate(WEB_PUSH, {}, data_dir)]))
        data_dir.mkdir(parents=True, exist_ok=True)
        # Private from its first byte, and written whole or not at all: two processes starting
        # together must agree on one key.
        create_once(path, new_private_pem())
    return _from_text(path.read_text(), str(path))


def public_key(vapid: Vapid02) -> str:
    """The public key as browsers take it for applicationServerKey: base64url, uncompressed."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(raw)
