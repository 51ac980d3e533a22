"""`next` addresses: only pages of this site, as a browser would read the address.

Finding 9 of the hardening issue: `POST /language` with next="/\\t/evil.example/" answered
`303 Location: //evil.example/` (browsers drop the tab), and a CR or LF in `next` gave a 500.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
import requests

from aftercare.redirects import safe_redirect_target
from tests.http_client import TIMEOUT_S, page_token

OTHER_SITES = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "\x00//evil.example",
    "\x1f/\\evil.example",
    "/\\\t\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "java\tscript:alert(1)",
    "http:/evil.example",
    "evil.example",
    "",
    None,
    ["/today"],
]


@pytest.mark.parametrize("target", OTHER_SITES)
def test_another_site_or_no_page_goes_to_the_default(target):
    assert safe_redirect_target(target, default="/home") == "/home"


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/today", "/today"),
        ("/check-in?morning=1", "/check-in?morning=1"),
        ("/enroll/abc-DEF_123", "/enroll/abc-DEF_123"),
        (" /today\n", "/today"),  # trimmed as a browser trims it
        ("/to\tday", "/today"),  # a tab inside is dropped, as a browser drops it
        ("/a\\b", "/a/b"),  # a backslash is a slash to a browser
        ("/progreso/ñ", "/progreso/ñ"),
    ],
)
def test_a_page_of_this_site_is_kept_as_a_browser_reads_it(target, kept):
    assert safe_redirect_target(target) == kept


@pytest.mark.parametrize(
    "target",
    ["/to\x01day", "/to\x7fday", "/\ud800", "/" + "a" * 3000],
)
def test_an_address_this_app_never_makes_goes_to_the_default(target):
    assert safe_redirect_target(target) == "/"


def browser_destination(base: str, location: str) -> str:
    """Where a browser goes for a Location header: it drops tabs and newlines first."""
    cleaned = location.strip("".join(map(chr, range(0x21)))).translate(
        str.maketrans("", "", "\t\r\n")
    )
    return urljoin(base + "/", cleaned.replace("\\", "/"))


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example/",
        "/\r/evil.example/",
        "/\n/evil.example/",
        "/today\r\nSet-Cookie: planted=1",
        "/\\evil.example",
        "\x00//evil.example",
    ],
)
def test_the_language_switch_stays_on_this_site_over_http(waitress, target):
    browser = requests.Session()
    token = page_token(browser, f"{waitress.url}/")
    response = browser.post(
        f"{waitress.url}/language",
        data={"csrf_token": token, "language": "es", "next": target},
        allow_redirects=False,
        timeout=TIMEOUT_S,
    )
    assert response.status_code == 303
    location = response.headers["Location"]
    assert (
        urlsplit(browser_destination(waitress.url, location)).netloc
        == urlsplit(waitress.url).netloc
    )
    assert "planted" not in response.cookies
    # The switch still did its work.
    assert response.cookies.get("aftercare_language") == "es"
