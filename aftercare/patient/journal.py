"""The integration journal: a page that keeps the patient's entries on their phone.

Entries are written, listed, saved to a file and deleted in the browser (static/js/journal.js,
IndexedDB). The server takes only an entry the patient chooses to share, one at a time through
the outbox, and deletes it again when they stop sharing it.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from .. import submissions
from ..care.journal import MOOD_HIGHEST, MOOD_LOWEST, clinic_prompts
from ..extensions import csrf
from ..i18n import current_language
from ..patient_access import current_patient, patient_required
from .journal_forms import ShareForm, UnshareForm
from .journal_sharing import EntryData, share_entry, unshare_entry

bp = Blueprint("journal", __name__)


@bp.get("/journal")
@patient_required
def journal() -> ResponseReturnValue:
    clinic = current_patient().clinic
    return render_template(
        "patient/journal.html",
        # In the page itself, so that the page kept for offline use has them too.
        prompts=clinic_prompts(clinic.journal_prompts, current_language(), _),
        moods=range(MOOD_LOWEST, MOOD_HIGHEST + 1),
        share_form=ShareForm(),
    )


def _not_stored() -> str:
    """The page a plain form post gets for an entry that cannot be shared as it is."""
    message = _("This entry could not be shared. Please try again.")
    return render_template("error.html", code=422, message=message)


# Both forms check their own CSRF token, with the longer life of a LongLivedTokenForm.
@csrf.exempt
@bp.post("/journal/shared")
@patient_required
def share() -> ResponseReturnValue:
    form = ShareForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            return submissions.expired()
        return submissions.invalid(_not_stored, errors=form.errors)
    written_at = form.written_time()
    assert written_at is not None  # checked by the form
    entry_id, created = share_entry(
        current_patient(),
        EntryData(
            client_id=form.client_id.data,
            written_at=written_at,
            mood=form.mood.data,
            answers=form.answers(),
            text=form.text_written(),
        ),
    )
    return submissions.stored(url_for("journal.journal", shared=1), created, id=entry_id)


@csrf.exempt
@bp.post("/journal/unshared")
@patient_required
def unshare() -> ResponseReturnValue:
    form = UnshareForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            return submissions.expired()
        return submissions.invalid(_not_stored, errors=form.errors)
    # Taken back twice, or never shared: nothing is left on the server either way.
    deleted = unshare_entry(current_patient(), form.client_id.data)
    return submissions.stored(url_for("journal.journal", unshared=1), deleted)
