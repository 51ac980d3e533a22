"""Stylesheets and scripts as they are sent: minified, then compressed at the highest level.

The files in static/ and service_worker/ stay as written, comments and all. What leaves the
server is minified (rjsmin, rcssmin: whitespace and comments only, names are kept) and
compressed with brotli or gzip at their slowest, smallest settings. Doing that for each
request would cost tens of milliseconds; the result is kept in memory instead, until the file
changes.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import brotli
import rcssmin
import rjsmin

MINIFIERS: dict[str, Callable[[str], str]] = {
    "text/css": rcssmin.cssmin,
    "text/javascript": rjsmin.jsmin,
    "application/javascript": rjsmin.jsmin,
}
# In the order they are preferred when a browser takes both: brotli is the smaller.
ENCODINGS = ("br", "gzip")


def minify(text: str, mimetype: str) -> str:
    return MINIFIERS[mimetype](text)


@lru_cache(maxsize=32)
def compress(data: bytes, encoding: str | None) -> bytes:
    """`data` as sent with Content-Encoding `encoding` (None: as it is)."""
    if encoding == "br":
        return brotli.compress(data, quality=11)
    if encoding == "gzip":
        return gzip.compress(data, compresslevel=9, mtime=0)
    return data


@lru_cache(maxsize=64)
def prepared(path: Path, mtime_ns: int, mimetype: str, encoding: str | None) -> bytes:
    """A static file minified and compressed; `mtime_ns` is there so a changed file is redone."""
    return compress(minify(path.read_text(encoding="utf-8"), mimetype).encode(), encoding)
