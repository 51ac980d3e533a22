"""Where a `next` address may send someone: a page of this site, read as a browser reads it.

A check on the text as sent is not enough. Browsers drop tabs and line breaks anywhere in a
URL and trim control characters and spaces at its ends before they parse it, and they read a
backslash as a slash, so "/\\t/evil.example" and "/\\\\evil.example" both open
//evil.example, another site. The target is therefore normalised the same way first, and only
an absolute path on this site (no scheme, no host, not starting "//") is kept.
"""

from __future__ import annotations

from urllib.parse import urlsplit

# What the WHATWG URL parser removes before parsing: ASCII tab and newlines anywhere, and C0
# controls and spaces at either end.
_REMOVED_ANYWHERE = str.maketrans("", "", "\t\n\r")
_TRIMMED_AT_ENDS = "".join(chr(code) for code in range(0x21))
# Longer than any address of this app; a longer one is not a page here.
MAX_LENGTH = 2048


def safe_redirect_target(target: object, default: str = "/") -> str:
    """`target` as a browser would read it, if that is a path on this site; else `default`."""
    if not isinstance(target, str) or len(target) > MAX_LENGTH:
        return default
    path = target.strip(_TRIMMED_AT_ENDS).translate(_REMOVED_ANYWHERE).replace("\\", "/")
    if not path.startswith("/") or path.startswith("//"):
        return default
    # Any control character left would be refused in a Location header, or read differently
    # by another client: such an address was never made by this app.
    if any(ord(character) < 0x20 or ord(character) == 0x7F for character in path):
        return default
    if not path.isascii() and not _encodable(path):
        return default
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        return default
    return path


def _encodable(text: str) -> bool:
    """Whether `text` can be sent as UTF-8 (a lone surrogate cannot)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
