"""Template filters shared by the patient and clinic pages."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from .care.human_time import LaterWording, human_time, wording_days, wording_over_time
from .i18n import current_language, translator
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


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


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
    app.add_template_filter(upper_first)
    app.add_template_global(data_later)
    app.add_template_filter(reason_label)

    @app.template_filter("patient_time")
    def patient_time(moment: datetime, tz: ZoneInfo) -> str:
        """A moment as the patient reads it today: 'tomorrow at noon', 'Saturday at 3:40 PM'."""
        return said_now(moment, tz)


def said_now(moment: datetime, tz: ZoneInfo) -> str:
    """human_time() for this page: read now, in the page's language."""
    language = current_language()
    return human_time(moment, utcnow(), tz, language, translator(language))


@dataclass(frozen=True)
class Worded:
    """A text that names a moment, as read now, and how it will read on later days."""

    text: str
    later: tuple[LaterWording, ...] = ()


def worded(moment: datetime, tz: ZoneInfo, make: Callable[[str], str] = upper_first) -> Worded:
    """make(human_time(moment)) as read now and on each later day, in the page's language."""
    language = current_language()
    translate = translator(language)
    now = utcnow()

    def words(read_at: datetime) -> str:
        return make(human_time(moment, read_at, tz, language, translate))

    later = wording_over_time(now, tz, words, wording_days(moment, now, tz))
    return Worded(words(now), tuple(later))


def data_later(later: Sequence[LaterWording]) -> Markup:
    """The later wordings of an element's text, for static/js/app.js to switch to offline."""
    if not later:
        return Markup("")
    pairs = [[wording.starts.isoformat(), wording.text] for wording in later]
    return Markup(" data-later='{}'").format(escape(json.dumps(pairs, ensure_ascii=False)))
