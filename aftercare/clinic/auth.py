"""Clinician sign-in: password, then two-factor; attempt limits; sessions kept on the server."""

from __future__ import annotations

import time
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

from .. import audit
from ..extensions import db, login_manager
from ..models import Clinician, utcnow
from ..tokens import hash_token
from . import sessions, throttle, twofactor
from .forms import CodeForm, LoginForm, SetPasswordForm
from .passwords import password_matches

bp = Blueprint("clinic_auth", __name__, url_prefix="/clinic")

# Blueprints whose pages need a signed-in clinician (the session rules below apply to them).
CLINIC_BLUEPRINTS = {
    "clinic",
    "appointments",
    "clinic_admin",
    "clinic_auth",
    "clinic_sessions",
    "exports",
}
# Pages reachable while the sign-in is unfinished (an admin who must set up two-factor).
OPEN_WHILE_SETTING_UP = {"clinic_auth.two_factor", "clinic_auth.logout"}
PENDING = "pending_clinician"
PENDING_FOR_S = 300


@login_manager.user_loader
def load_clinician(user_id: str) -> Clinician | None:
    # Only while the session is alive on the server (aftercare/clinic/sessions.py).
    return sessions.load(user_id)


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


def _pending_fingerprint(clinician: Clinician) -> str:
    # A sign-in waiting for its code is void once the password changes or is reset.
    return hash_token("pending:" + clinician.password_hash)[:16]


def _too_many_attempts(template: str, form: Any, wait: int) -> ResponseReturnValue:
    flash(f"Too many sign-in attempts. Please wait {throttle.wait_in_words(wait)} and try again.")
    page = render_template(template, form=form)
    return page, 429, {"Retry-After": str(wait)}


def _finish_sign_in(clinician: Clinician) -> ResponseReturnValue:
    session.clear()
    login_user(clinician)
    sessions.start(clinician)
    audit.record("clinician.sign_in", clinic_id=clinician.clinic_id)
    db.session.commit()
    if _must_set_up_two_factor(clinician):
        flash("Admins must use two-factor sign-in. Set it up now to continue.")
        response = redirect(url_for("clinic_auth.two_factor"))
    else:
        response = redirect(url_for("clinic.dashboard"))
    throttle.remember_browser(response, clinician.email)
    return response


def _ask_for_code(clinician: Clinician) -> ResponseReturnValue:
    session.clear()
    session[PENDING] = {
        "id": clinician.id,
        "at": time.time(),
        "password": _pending_fingerprint(clinician),
    }
    return redirect(url_for("clinic_auth.verify"))


def _must_set_up_two_factor(clinician: Clinician) -> bool:
    return clinician.is_admin and not clinician.has_two_factor


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("clinic.dashboard"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("clinic/login.html", form=form), (422 if form.errors else 200)
    email = form.email.data.strip().lower()
    attempt = throttle.Attempt.now("password", email)
    if wait := throttle.seconds_to_wait(attempt):
        return _too_many_attempts("clinic/login.html", form, wait)
    clinician = db.session.scalar(select(Clinician).where(Clinician.email == email))
    # The password is hashed once whether or not the account exists (see passwords.py).
    matched = password_matches(clinician, form.password.data)
    if clinician is None or not matched:
        throttle.record_failure(attempt)
        form.password.errors.append("That email and password do not match an account.")
        return render_template("clinic/login.html", form=form), 401
    throttle.record_success(attempt)
    if clinician.has_two_factor:
        return _ask_for_code(clinician)
    return _finish_sign_in(clinician)


@bp.route("/login/verify", methods=["GET", "POST"])
def verify() -> ResponseReturnValue:
    """The second step: a code from the authenticator app, or a recovery code."""
    pending = session.get(PENDING)
    clinician = None
    if isinstance(pending, dict) and time.time() - pending.get("at", 0) <= PENDING_FOR_S:
        clinician = db.session.get(Clinician, pending.get("id", 0))
    if (
        clinician is None
        or not clinician.is_enabled
        or pending.get("password") != _pending_fingerprint(clinician)
    ):
        session.pop(PENDING, None)
        flash("Please sign in again.")
        return redirect(url_for("clinic_auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        attempt = throttle.Attempt.now("code", clinician.email)
        if wait := throttle.seconds_to_wait(attempt):
            return _too_many_attempts("clinic/verify.html", form, wait)
        if twofactor.verify(clinician, form.code.data.strip()):
            db.session.commit()
            throttle.record_success(attempt)
            return _finish_sign_in(clinician)
        db.session.commit()
        throttle.record_failure(attempt)
        form.code.errors.append("That code is not right. Codes change every 30 seconds.")
        return render_template("clinic/verify.html", form=form), 401
    return render_template("clinic/verify.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """Sign out: this browser's session ends on the server, so no copy of the cookie works."""
    audit.record("clinician.sign_out", clinic_id=current_user.clinic_id)
    sessions.end_current()
    db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("clinic_auth.login"), 303)


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
            # Whoever was signed in elsewhere signed in without this app: they sign in again.
            ended = sessions.end_others(clinician.id)
            audit.record(
                "clinician.two_factor_enabled",
                clinic_id=clinician.clinic_id,
                detail={"sessions_ended": ended},
            )
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
        if clinician.has_two_factor:
            # A new password (after a reset) is not a way around the authenticator app.
            return _ask_for_code(clinician)
        return _finish_sign_in(clinician)
    status = 422 if form.errors else 200
    return render_template("clinic/set_password.html", form=form, clinician=clinician), status


def init_session_rules(app: Flask) -> None:
    """Clinician pages need a live session; unfinished sign-ins reach only the two-factor setup."""

    @app.before_request
    def clinician_session_rules() -> ResponseReturnValue | None:
        if request.blueprint not in CLINIC_BLUEPRINTS:
            return None
        if not current_user.is_authenticated:
            if "_user_id" not in session and sessions.COOKIE_KEY not in session:
                return None
            # This browser was signed in and its session is over: signed out, ended from
            # another browser or by an admin, or idle. The cookie is cleared, and works no more.
            reason = sessions.end_reason()
            sessions.forget()
            if reason == sessions.IDLE:
                minutes = current_app.config["CLINICIAN_IDLE_MINUTES"]
                flash(f"You were signed out after {minutes} minutes without activity.")
            else:
                flash("Your session has ended. Please sign in again.")
            return redirect(url_for("clinic_auth.login"))
        sessions.keep_alive()
        if _must_set_up_two_factor(current_user) and request.endpoint not in OPEN_WHILE_SETTING_UP:
            return redirect(url_for("clinic_auth.two_factor"))
        return None
