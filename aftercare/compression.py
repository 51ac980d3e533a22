"""HTTP compression of pages, JSON and the manifest (Flask-Compress), set up for the app.

Static stylesheets and scripts, and the service worker's script, are compressed once and kept
(see aftercare/pwa/assets.py); they arrive here with their Content-Encoding already set.
"""

from __future__ import annotations

import re

import brotli
from flask import Flask, Response, current_app, request

from .extensions import compress
from .pwa.assets import ENCODINGS

# Text worth compressing. PNG icons are compressed already.
COMPRESSED_MIMETYPES = [
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/manifest+json",
    "image/svg+xml",
]


# A page's indentation and blank lines: the browser collapses them, but they are bytes on the
# wire (a few hundred over a patient's first visit). Text in <pre> and <textarea> keeps its own.
INDENTATION = re.compile(r"(<(pre|textarea)\b.*?</\2>)|\n\s+", re.DOTALL | re.IGNORECASE)


def without_indentation(html: str) -> str:
    """The page with each run of line breaks and indentation cut to one line break."""
    return INDENTATION.sub(lambda match: match.group(1) or "\n", html)


# A patient's pages are small, and the phone may be on a weak signal: brotli's quality 10 (a
# slower, denser search than 5) takes about 10 ms of CPU for the check-in's 21 KB and saves 8 %
# of every page the service worker keeps on a first visit. Larger pages (a clinic's lists)
# keep quality 5, where the time would grow with the page.
DENSE_UP_TO = 32 * 1024
DENSE_QUALITY = 10


def compress_small_page(response: Response) -> Response:
    """A whole HTML page of at most DENSE_UP_TO bytes, compressed densely with brotli."""
    response.set_data(brotli.compress(response.get_data(), quality=DENSE_QUALITY))
    response.headers["Content-Encoding"] = "br"
    response.vary.add("Accept-Encoding")
    return response


def init_compression(app: Flask) -> None:
    """Compress text responses with brotli, or gzip, for browsers that take either."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_MIMETYPES)
    # Brotli first: it beats zstd and gzip on short text. gzip stays for the others, for
    # streamed responses too (Flask-Compress leaves gzip out of streaming by default).
    app.config.setdefault("COMPRESS_ALGORITHM", list(ENCODINGS))
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", list(ENCODINGS))
    # Quality 5 is where brotli overtakes gzip on our pages (4, the default, does not) while
    # taking a millisecond or two for a page.
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    # Registered here, not by Flask-Compress, so that the browser's refusals are heeded first.
    app.config["COMPRESS_REGISTER"] = False
    compress.init_app(app)
    # Registered before every other after_request function, so it runs after them all and
    # compresses the finished response.
    app.after_request(compress_response)


def compress_response(response: Response) -> Response:
    if "Content-Encoding" in response.headers:
        return response
    if response.mimetype == "text/html" and not response.is_streamed:
        response.set_data(without_indentation(response.get_data(as_text=True)))
    # Flask-Compress would pick an encoding the browser ruled out with q=0 ("br;q=0"); werkzeug
    # reads the header as the standard says.
    best = request.accept_encodings.best_match(ENCODINGS)
    if best is None:
        response.vary.add("Accept-Encoding")
        return response
    if (
        best == "br"
        and response.mimetype == "text/html"
        and not response.is_streamed
        and 200 <= response.status_code < 300
        and current_app.config["COMPRESS_MIN_SIZE"] <= (response.content_length or 0) <= DENSE_UP_TO
    ):
        return compress_small_page(response)
    return compress.after_request(response)
