"""Checking a clinician's password with the same work whether or not the account exists."""

from __future__ import annotations

from werkzeug.security import check_password_hash

from ..models import Clinician

# The hash of a random password nobody knows, made as Clinician.set_password makes hashes
# (scrypt, N=32768, r=8, p=1). Unknown emails, invited accounts with no password yet and
# disabled accounts are checked against it, so that every attempt runs scrypt once at the same
# cost, and the time taken says nothing about which emails have accounts.
# tests/clinic/test_sign_in_limits.py fails if set_password's cost ever differs from this one.
UNUSABLE_HASH = (
    "scrypt:32768:8:1$rvu4SaZ7A7mtOEmW$06861e35b3a7afbaa34ee960cb6810b6e56666c874c42a67ccd81b"
    "8624b06bde32fc25173b5f11d465a1deb65cae2187dc9dd85badc3b8ff913c86366a58f195"
)


def password_matches(clinician: Clinician | None, password: str) -> bool:
    """Whether this enabled clinician's password is `password`; scrypt runs once in every case."""
    usable = clinician is not None and clinician.is_enabled and bool(clinician.password_hash)
    stored = clinician.password_hash if usable else UNUSABLE_HASH  # type: ignore[union-attr]
    matched = check_password_hash(stored, password)
    return usable and matched
