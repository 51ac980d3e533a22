"""Clinician sign-in: password, then two-factor; rate limits; sessions that expire when idle."""

from __future__ import annotations

import time
from datetime import timedelta
from functools import wraps
from typing import Any

import segno
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import audit
from ..extensions import db, limiter, login_manager
from ..models import Clinician, utcnow
from ..patient.enrollment import hash_token
from . import twofactor
from .forms import CodeForm, LoginForm, SetPasswordForm

bp = Blueprint("clinic_auth", __name__, url_prefix="/clinic")

# Blueprints whose pages need a signed-in clinician (the session rules below apply to them).
CLINIC_BLUEPRINTS = {"clinic", "appointments", "clinic_admin", "clinic_auth", "exports"}
# Pages reachable while the sign-in is unfinished (an admin who must set up two-factor).
OPEN_WHILE_SETTING_UP = {"clinic_auth.two_factor", "clinic_auth.logout"}
PENDING = "pending_clinician"
PENDING_FOR_S = 300


@login_manager.user_loader
def load_clinician(user_id: str) -> Clinician | None:
    if not user_id.isdigit():
        return None
    # With the clinic: every clinician page shows it, and its time zone sets every time shown.
    return db.session.get(Clinician, int(user_id), options=[joinedload(Clinician.clinic)])


login_manager.login_view = "clinic_auth.login"
login_manager.login_message = "Please sign in to see that page."


def admin_required(view: Any) -> Any:
    """Only the clinic's admins: anyone else signed in gets 403."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _failed(response: Any) -> bool:
    """Only failed sign-ins count against the limits."""
    return response.status_code in (401, 422)


def _account_key() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()[:254]


def _pending_key() -> str:
    pending = session.get(PENDING) or {}
    return f"pending:{pending.get('id', request.remote_addr)}"


SIGN_IN_LIMIT_MESSAGE = "Too many sign-in attempts. Please wait 15 minutes and try again."


def _finish_sign_in(clinician: Clinician) -> ResponseReturnValue:
    session.clear()
    login_user(clinician)
    session["last_active"] = time.time()
    audit.record("clinician.sign_in", clinic_id=clinician.clinic_id)
    db.session.commit()
    if clinician.is_admin and not clinician.has_two_factor:
        session["must_set_up_two_factor"] = True
        flash("Admins must use two-factor sign-in. Set it up now to continue.")
        return redirect(url_for("clinic_auth.two_factor"))
    return redirect(url_for("clinic.dashboard"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    "10 per 15 minutes",
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
    error_message=SIGN_IN_LIMIT_MESSAGE,
)
@limiter.limit(
    "30 per 15 minutes", methods=["POST"], deduct_when=_failed, error_message=SIGN_IN_LIMIT_MESSAGE
)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("clinic.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        clinician = db.session.scalar(select(Clinician).where(Clinician.email == email))
        if clinician and clinician.is_enabled and clinician.check_password(form.password.data):
            if clinician.has_two_factor:
                session.clear()
                session[PENDING] = {"id": clinician.id, "at": time.time()}
                return redirect(url_for("clinic_auth.verify"))
            return _finish_sign_in(clinician)
        form.password.errors.append("That email and password do not match an account.")
        return render_template("clinic/login.html", form=form), 401
    return render_template("clinic/login.html", form=form), (422 if form.errors else 200)


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(
    "10 per 15 minutes",
    key_func=_pending_key,
    methods=["POST"],
    deduct_when=_failed,
    error_message=SIGN_IN_LIMIT_MESSAGE,
)
def verify() -> ResponseReturnValue:
    """The second step: a code from the authenticator app, or a recovery code."""
    pending = session.get(PENDING)
    if not pending or time.time() - pending.get("at", 0) > PENDING_FOR_S:
        session.pop(PENDING, None)
        flash("Please sign in again.")
        return redirect(url_for("clinic_auth.login"))
    clinician = db.session.get(Clinician, pending["id"])
    if clinician is None or not clinician.is_enabled:
        abort(404)
    form = CodeForm()
    if form.validate_on_submit():
        if twofactor.verify(clinician, form.code.data.strip()):
            db.session.commit()
            return _finish_sign_in(clinician)
        db.session.commit()
        form.code.errors.append("That code is not right. Codes change every 30 seconds.")
        return render_template("clinic/verify.html", form=form), 401
    return render_template("clinic/verify.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    logout_user()
    session.clear()
    return redirect(url_for("clinic_auth.login"))


@bp.route("/security/two-factor", methods=["GET", "POST"])
@login_required
def two_factor() -> ResponseReturnValue:
    """Set up (or replace) two-factor sign-in by scanning a QR code and entering a code."""
    clinician: Clinician = current_user._get_current_object()  # type: ignore[attr-defined]
    form = CodeForm()
    if request.method == "GET" or "setup_secret" not in session:
        session["setup_secret"] = twofactor.new_secret()
    secret = session["setup_secret"]
    if form.validate_on_submit():
        codes = twofactor.enable(clinician, secret, form.code.data)
        if codes is not None:
            session.pop("setup_secret", None)
            session.pop("must_set_up_two_factor", None)
            audit.record("clinician.two_factor_enabled", clinic_id=clinician.clinic_id)
            db.session.commit()
            return render_template("clinic/recovery_codes.html", codes=codes)
        form.code.errors.append("That code is not right. Check the app's clock and try again.")
    uri = twofactor.provisioning_uri(secret, clinician)
    # segno writes the SVG from the URI; nothing in it is user-supplied markup.
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=2, title="Two-factor QR code")
    qr = Markup(svg)  # noqa: S704
    status = 422 if form.errors else 200
    return render_template("clinic/two_factor.html", form=form, qr=qr, secret=secret), status


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str) -> ResponseReturnValue:
    """An invited clinician chooses a password (the link works once, for a few days)."""
    clinician = db.session.scalar(
        select(Clinician).where(Clinician.invite_token_hash == hash_token(token))
    )
    if (
        clinician is None
        or clinician.invite_expires_at is None
        or clinician.invite_expires_at < utcnow()
    ):
        message = "This invitation is not valid any more. Ask your clinic's admin for a new one."
        return render_template("error.html", code=410, message=message), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        clinician.set_password(form.password.data)
        clinician.invite_token_hash = None
        clinician.invite_expires_at = None
        audit.record("clinician.invite_accepted", clinic_id=clinician.clinic_id)
        db.session.commit()
        return _finish_sign_in(clinician)
    status = 422 if form.errors else 200
    return render_template("clinic/set_password.html", form=form, clinician=clinician), status


def init_session_rules(app: Flask) -> None:
    """Clinician sessions end after a quiet spell; unfinished sign-ins reach only setup."""

    @app.before_request
    def clinician_session_rules() -> ResponseReturnValue | None:
        if request.blueprint not in CLINIC_BLUEPRINTS or not current_user.is_authenticated:
            return None
        idle = timedelta(minutes=current_app.config["CLINICIAN_IDLE_MINUTES"])
        last = session.get("last_active", 0)
        if time.time() - last > idle.total_seconds():
            logout_user()
            session.clear()
            minutes = int(idle.total_seconds() // 60)
            flash(f"You were signed out after {minutes} minutes without activity.")
            return redirect(url_for("clinic_auth.login"))
        session["last_active"] = time.time()
        if session.get("must_set_up_two_factor") and request.endpoint not in OPEN_WHILE_SETTING_UP:
            return redirect(url_for("clinic_auth.two_factor"))
        return None
