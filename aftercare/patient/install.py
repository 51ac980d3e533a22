"""Which kind of phone opens Today: how it adds Aftercare to its Home Screen, and how it lets
notifications through again once they are blocked.

Today carries only the steps and words for the phone that asks (every byte of a first visit
counts on a cheap phone); static/js/push.js then checks what the page itself can see (installed
or not, an iPad that asks for the desktop site).
"""

from __future__ import annotations

import re
from typing import Literal

from flask_babel import gettext as _

DeviceKind = Literal["ios-safari", "ios-other", "mac-safari", "android", "computer"]

IOS = re.compile(r"iPhone|iPad|iPod")
# Safari on a Mac, or on an iPad asking for the desktop site (iPadOS does by default).
MAC_SAFARI = re.compile(r"Macintosh(?!.*(?:Chrome|Firefox|Edg))")
# The other browsers on iOS, and the apps' own browsers: none can add to the Home Screen.
IOS_OTHER_BROWSER = re.compile(r"CriOS|FxiOS|EdgiOS|OPiOS|GSA/|FBAN|FBAV|Instagram")


def device_kind(user_agent: str) -> DeviceKind:
    """The kind of phone (or computer) a User-Agent header names."""
    if IOS.search(user_agent):
        return "ios-other" if IOS_OTHER_BROWSER.search(user_agent) else "ios-safari"
    if MAC_SAFARI.search(user_agent):
        return "mac-safari"
    if "Android" in user_agent:
        return "android"
    return "computer"


def how_to_allow_notifications(kind: DeviceKind) -> dict[str, str]:
    """How to let blocked notifications through again on this kind of phone, as push.js asks
    for it: "blocked" in the browser, "blocked_app" in the app on the Home Screen. Empty for a
    computer: page_text() has its way already."""
    on_ios = _(
        "Notifications are off for Aftercare. To turn them on, open Settings, tap"
        " Notifications, then Aftercare, and turn on Allow Notifications."
    )
    if kind == "android":
        return {
            "blocked": _(
                "Notifications are blocked for this site. To allow them, tap the icon left of"
                " the web address, then Permissions, and turn on Notifications. Then tap “Turn"
                " on reminders” again."
            ),
            "blocked_app": _(
                "Notifications are blocked for Aftercare. To allow them, press and hold the"
                " Aftercare icon on your Home Screen, tap App info, then Notifications, and"
                " turn them on."
            ),
        }
    if kind == "mac-safari":
        # A Mac, or an iPad asking for the desktop site: only an iPad's app asks from iOS.
        return {"blocked_app": on_ios}
    if kind in ("ios-safari", "ios-other"):
        # On iOS only the app on the Home Screen can ask for notifications at all.
        return {"blocked": on_ios, "blocked_app": on_ios}
    return {}
