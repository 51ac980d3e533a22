"""Times on the clinician's pages, in the clinic's own time zone."""

from __future__ import annotations

from datetime import datetime

from flask import g

from .access import current_clinic

DEFAULT_FORMAT = "%a %d %b %Y, %H:%M"


def local_time(moment: datetime | None, fmt: str = DEFAULT_FORMAT) -> str:
    """A UTC timestamp in the signed-in clinician's clinic time zone (the `local` filter)."""
    if moment is None:
        return ""
    # Looked up once a request: the dashboard shows about a hundred times.
    if "clinic_tz" not in g:
        g.clinic_tz = current_clinic().tz
    return moment.astimezone(g.clinic_tz).strftime(fmt)
