"""The integration journal: a page that keeps the patient's entries on their phone only.

The server sends the page and nothing else: entries are written, listed, saved to a file and
deleted in the browser (static/js/journal.js, IndexedDB). No route here takes an entry.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..care.journal import DEFAULT_PROMPTS, MOOD_HIGHEST, MOOD_LOWEST
from ..patient_access import patient_required

bp = Blueprint("journal", __name__)


@bp.get("/journal")
@patient_required
def journal() -> ResponseReturnValue:
    return render_template(
        "patient/journal.html",
        prompts=[_(prompt) for prompt in DEFAULT_PROMPTS],
        moods=range(MOOD_LOWEST, MOOD_HIGHEST + 1),
    )
