"""Requests whose text (forms, query strings, JSON bodies) never carries a NUL character.

No keyboard types NUL, but a crafted request can, and PostgreSQL refuses it in text columns
(SQLite keeps it). The character is dropped as the fields are parsed, so every form, search and
check-in sees clean text and a patient's note still arrives whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict, MultiDict


def without_nul(value: Any) -> Any:
    """Strings without NUL, also inside JSON lists and objects; anything else as it was."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value


class TextParameters(ImmutableMultiDict):
    """Form and query parameters, keys and text values without NUL (uploads untouched)."""

    def __init__(self, mapping: Iterable[tuple[str, Any]] | None = None) -> None:
        if mapping is None:
            super().__init__()
            return
        if isinstance(mapping, MultiDict):
            pairs: Iterable[tuple[str, Any]] = mapping.items(multi=True)
        elif isinstance(mapping, Mapping):
            pairs = mapping.items()
        else:
            pairs = mapping
        super().__init__([(without_nul(key), without_nul(value)) for key, value in pairs])


class AftercareRequest(Request):
    parameter_storage_class = TextParameters


class AftercareJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading request bodies without NUL characters."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return without_nul(super().loads(s, **kwargs))
