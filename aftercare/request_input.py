"""What the app reads from a request: the junk a crafted request can carry is a 4xx, never a 500.

* Text (forms, query strings, JSON bodies) never carries a NUL character. No keyboard types
  NUL, but a crafted request can, and PostgreSQL refuses it in text columns (SQLite keeps it).
  The character is dropped as the fields are parsed, so every form, search and check-in sees
  clean text and a patient's note still arrives whole.
* A JSON body is read before any view runs: one that cannot be read (malformed, not UTF-8,
  nested deeper than any the app sends) is a 400.
* Ids in a URL (`<int:...>`) match only numbers that fit the database's integer columns, so
  /clinic/patients/99999999999999999999 is a 404 on every route at once; ids and page numbers
  in query strings are read by `query_number`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask, Request, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map, ValidationError

# The largest id: PostgreSQL's `integer` (SQLite's is larger), which every id column is.
MAX_ID = 2**31 - 1
# Deeper than anything the app's pages send (a push subscription is 2 levels).
MAX_JSON_DEPTH = 32
_WHOLE_NUMBER = re.compile(r"[0-9]{1,10}")


class TooDeep(ValueError):
    """A JSON body nested deeper than MAX_JSON_DEPTH."""


def without_nul(value: Any, depth: int = 0) -> Any:
    """Strings without NUL, also inside JSON lists and objects; anything else as it was."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list | dict) and depth >= MAX_JSON_DEPTH:
        raise TooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, list):
        return [without_nul(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item, depth + 1) for key, item in value.items()}
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

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        raise BadRequest("The JSON body could not be read.") from e


class AftercareJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading request bodies without NUL characters, to a bounded depth."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            # Thousands of "[" exhaust the parser's stack before any depth check can run.
            raise TooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
        return without_nul(value)


class DatabaseId(IntegerConverter):
    """`<int:...>` in a route: a whole number from 0 to the database's largest id.

    Anything else matches no route, so it is a 404 before any view runs. The length is
    checked before the number is read: int() refuses more than 4,300 digits with an error
    werkzeug does not expect.
    """

    def __init__(self, map: Map, fixed_digits: int = 0, max: int = MAX_ID) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=0, max=max)

    def to_python(self, value: str) -> int:
        if not _WHOLE_NUMBER.fullmatch(value):
            raise ValidationError
        return super().to_python(value)


def query_number(name: str, default: int | None = None, *, minimum: int = 1) -> int | None:
    """A whole number from the query string (an id, a page): `default` when absent or empty,
    and 400 when it is not a number from `minimum` to the database's largest id."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not _WHOLE_NUMBER.fullmatch(raw) or not minimum <= int(raw) <= MAX_ID:
        abort(400, f"'{name}' must be a whole number from {minimum} to {MAX_ID}.")
    return int(raw)


def read_json_body() -> None:
    """Parse a JSON body before the view: one that cannot be read is a 400 for every route."""
    if request.is_json and request.get_data(cache=True):
        request.get_json()


def init_requests(app: Flask) -> None:
    """Set the request rules up; before the blueprints, whose routes use the id converter."""
    app.request_class = AftercareRequest
    app.json = AftercareJSONProvider(app)
    app.url_map.converters["int"] = DatabaseId
    app.before_request(read_json_body)
