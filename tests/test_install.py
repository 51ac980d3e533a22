"""Which kind of phone opens Today, and what it is told about installing and notifications."""

from __future__ import annotations

import pytest

from aftercare.patient.install import device_kind, how_to_allow_notifications

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15"
IPAD_DESKTOP = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/18.1 Safari/605.1.15"
)


@pytest.mark.parametrize(
    ("user_agent", "kind"),
    [
        (f"{IPHONE} (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "ios-safari"),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Version/17.0 Safari/604.1", "ios-safari"),
        (f"{IPHONE} (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148", "ios-other"),
        (f"{IPHONE} (KHTML, like Gecko) FxiOS/133.0 Mobile/15E148", "ios-other"),
        (f"{IPHONE} (KHTML, like Gecko) EdgiOS/131.0 Mobile/15E148", "ios-other"),
        (f"{IPHONE} (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/490.0]", "ios-other"),
        (IPAD_DESKTOP, "mac-safari"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like"
            " Gecko) Chrome/131.0.0.0 Safari/537.36",
            "computer",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
            " Chrome/131.0.0.0 Mobile Safari/537.36",
            "android",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "computer",
        ),
        ("", "computer"),
    ],
)
def test_it_tells_the_kind_of_phone_from_its_user_agent(user_agent: str, kind: str) -> None:
    assert device_kind(user_agent) == kind


@pytest.mark.parametrize(
    ("kind", "in_browser", "in_app"),
    [
        ("ios-safari", "open Settings", "open Settings"),
        ("mac-safari", None, "open Settings"),
        ("android", "Permissions", "App info"),
        ("computer", None, None),
    ],
)
def test_it_says_how_to_allow_blocked_notifications_on_each_kind_of_phone(
    app, kind: str, in_browser: str | None, in_app: str | None
) -> None:
    with app.test_request_context("/today"):
        words = how_to_allow_notifications(kind)  # type: ignore[arg-type]
    # None: the computer's way, which every page's words carry already.
    for key, expected in (("blocked", in_browser), ("blocked_app", in_app)):
        if expected is None:
            assert key not in words
        else:
            assert expected in words[key]
