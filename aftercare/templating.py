"""Template filters shared by the patient and clinic pages."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import Flask
from flask_babel import gettext as _
from flask_babel import ngettext

from .care.instructions import format_moment
from .i18n import current_language
from .models import utcnow


def tel(number: str) -> str:
    """A phone number as a tel: or sms: link wants it: digits and a leading +."""
    return re.sub(r"[^0-9+]", "", number or "")


def time_left(until: datetime, now: datetime | None = None) -> str:
    """'3 hours 20 minutes left', or 'Done' once the moment has passed.

    static/js/app.js counts down in the same words, taken from the page (see patient/base.html).
    """
    seconds = int((until - (now or utcnow())).total_seconds())
    if seconds <= 0:
        return _("Done")
    hours, minutes = divmod((seconds + 59) // 60, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", hours))
    if minutes or not hours:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    return _("%(time)s left", time=" ".join(parts))


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


REASON_LABELS = {
    "bp_crisis": "Blood pressure at crisis level",
    "bp_crisis_with_symptoms": "Blood pressure at crisis level, with symptoms",
    "bp_high": "Blood pressure well above usual",
    "heart_rate_high": "Fast resting heart rate",
    "phq9_item9": "PHQ-9 item 9: thoughts of being better off dead or of self-harm",
}


def reason_label(code: str) -> str:
    """A reason code as a clinician reads it: 'chest_pain' -> 'Chest pain'."""
    return REASON_LABELS.get(code) or code.replace("_", " ").capitalize()


def init_templating(app: Flask) -> None:
    app.add_template_filter(tel)
    app.add_template_filter(time_left)
    app.add_template_filter(lower_first)
    app.add_template_filter(reason_label)

    @app.template_filter("patient_time")
    def patient_time(moment: datetime, tz: ZoneInfo) -> str:
        return format_moment(moment, tz, current_language())

    @app.template_filter("patient_date")
    def patient_date(moment: datetime, tz: ZoneInfo) -> str:
        """A month and day in the page's language: 'December 3', '3 de diciembre'."""
        return format_date(
            moment.astimezone(tz),
            "MMMM d" if current_language() == "en" else "d 'de' MMMM",
            locale=current_language(),
        )
