"""A clinician's own sessions: where they are signed in, and ending the ones they do not want."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from .. import audit
from ..extensions import db
from . import sessions
from .forms import RevokeForm

bp = Blueprint("clinic_sessions", __name__, url_prefix="/clinic/security/sessions")


@bp.get("")
@login_required
def list_sessions() -> ResponseReturnValue:
    current = sessions.current()
    return render_template(
        "clinic/sessions.html",
        sessions=sessions.active(current_user.id),
        current_id=current.id if current else None,
        button_form=RevokeForm(),
    )


@bp.post("/<int:session_id>/end")
@login_required
def end_session(session_id: int) -> ResponseReturnValue:
    """Sign out one other browser; it gets the sign-in page on its next request."""
    if not RevokeForm().validate_on_submit():
        abort(400)
    record = sessions.other_session(current_user.id, session_id)
    if record is None:
        abort(404)
    device = record.device
    sessions.end(record)
    audit.record(
        "clinician.session_end", clinic_id=current_user.clinic_id, detail={"session_id": record.id}
    )
    db.session.commit()
    flash(f"Signed out: {device or 'that browser'}.")
    return redirect(url_for("clinic_sessions.list_sessions"), 303)


@bp.post("/end-others")
@login_required
def end_other_sessions() -> ResponseReturnValue:
    """Sign out every browser but this one."""
    if not RevokeForm().validate_on_submit():
        abort(400)
    ended = sessions.end_others(current_user.id)
    audit.record(
        "clinician.sessions_end_others",
        clinic_id=current_user.clinic_id,
        detail={"sessions_ended": ended},
    )
    db.session.commit()
    flash("Signed out everywhere else." if ended else "You were not signed in anywhere else.")
    return redirect(url_for("clinic_sessions.list_sessions"), 303)
