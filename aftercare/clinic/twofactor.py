"""Two-factor sign-in for clinicians: TOTP (an authenticator app) and one-time recovery codes."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime

import pyotp
from cryptography.fernet import InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..models import Clinician, RecoveryCode, utcnow
from .twofactor_keys import secret_box

RECOVERY_CODES = 10
ISSUER = "Aftercare"


def _fernet() -> MultiFernet:
    # The two-factor key, kept out of the database: a copy of the database alone does not
    # reveal the secrets. Secrets from before that key existed open with the secret key's.
    return secret_box(current_app.config)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, clinician: Clinician) -> str:
    """What the QR code holds, for the authenticator app."""
    return pyotp.TOTP(secret).provisioning_uri(name=clinician.email, issuer_name=ISSUER)


def _secret_of(clinician: Clinician) -> str | None:
    try:
        return _fernet().decrypt(clinician.totp_secret_encrypted.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def code_matches(secret: str, code: str, at: datetime) -> int | None:
    """The time step a 6-digit code is valid for (allowing one step of clock drift), or None."""
    code = code.replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    step = int(at.timestamp()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.at(candidate * totp.interval), code):
            return candidate
    return None


def enable(clinician: Clinician, secret: str, code: str) -> list[str] | None:
    """Turn two-factor on if the code proves the app is set up; returns new recovery codes."""
    step = code_matches(secret, code, utcnow())
    if step is None:
        return None
    clinician.totp_secret_encrypted = _fernet().encrypt(secret.encode()).decode()
    clinician.totp_enabled_at = utcnow()
    clinician.totp_last_step = step
    return new_recovery_codes(clinician)


def disable(clinician: Clinician) -> None:
    clinician.totp_secret_encrypted = ""
    clinician.totp_enabled_at = None
    clinician.totp_last_step = 0
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.clinician_id == clinician.id))


def verify(clinician: Clinician, code: str) -> bool:
    """Check a code from the app (each accepted once) or an unused recovery code."""
    secret = _secret_of(clinician)
    if secret is None:
        return False
    step = code_matches(secret, code, utcnow())
    if step is not None:
        if step <= clinician.totp_last_step:
            return False  # already used: a code seen over someone's shoulder is worthless
        clinician.totp_last_step = step
        return True
    return use_recovery_code(clinician, code)


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").replace(" ", "").lower().encode()).hexdigest()


def new_recovery_codes(clinician: Clinician) -> list[str]:
    """Replace the clinician's recovery codes; the plain codes are shown once and not kept."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.clinician_id == clinician.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
        code = f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}-{raw[12:16]}"
        codes.append(code)
        db.session.add(RecoveryCode(clinician_id=clinician.id, code_hash=_hash(code)))
    return codes


def use_recovery_code(clinician: Clinician, code: str) -> bool:
    if len(code) > 40:
        return False
    stored = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.clinician_id == clinician.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if stored is None:
        return False
    stored.used_at = utcnow()
    return True


def recovery_codes_left(clinician: Clinician) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.clinician_id == clinician.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )
