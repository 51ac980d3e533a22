"""Secret tokens in links and cookies, and the only form in which they are stored.

Only SHA-256 hashes of tokens are kept: a copy of the database lets nobody enroll a phone, act
as an enrolled one, open a companion link or take over a clinician's session.
"""

from __future__ import annotations

import hashlib
import secrets


def hash_token(token: str) -> str:
    """The form in which a token is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)
