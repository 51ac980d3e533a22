"""Clinician sessions kept on the server: begun at sign-in, ended by signing out, by an admin, by
a change of two-factor or password, or by a quiet spell.

The signed session cookie carries a random token; the database keeps only its hash. A request
is signed in only while that row exists, so deleting it ends the session at once, whatever
copies of the cookie are around.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app, g, request, session
from sqlalchemy import delete, select, update
from sqlalchemy.orm import joinedload
from ua_parser import parse as parse_user_agent

from ..extensions import db
from ..models import Clinician, ClinicianSession, utcnow
from ..tokens import hash_token, new_token

COOKIE_KEY = "clinician_session"
# Why a browser that thought it was signed in is not: told to the clinician on the sign-in page.
ENDED = "ended"
IDLE = "idle"
# Names that ua-parser gives and a person would not say.
BROWSER_NAMES = {
    "Mobile Safari": "Safari",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "HeadlessChrome": "Headless Chrome",
    "Edge Mobile": "Edge",
}
SYSTEM_NAMES = {"Mac OS X": "macOS"}
# However active, a session ends this long after sign-in: a cookie copied today is no use
# tomorrow, and a browser left open over a weekend asks for the password again.
LONGEST = timedelta(hours=12)


def idle_limit() -> timedelta:
    return timedelta(minutes=current_app.config["CLINICIAN_IDLE_MINUTES"])


def _touch_every() -> timedelta:
    # "Last seen" is written at most this often, not on every page: a quarter of the idle limit
    # keeps the idle sign-out accurate to within a minute without a write per request.
    return min(timedelta(minutes=1), idle_limit() / 4)


@lru_cache(maxsize=256)
def describe_device(user_agent: str) -> str:
    """A few words for a browser from its User-Agent: 'Firefox on Windows', 'Safari on iPhone'."""
    parsed = parse_user_agent(user_agent[:512])
    browser = parsed.user_agent.family if parsed.user_agent else "Other"
    browser = BROWSER_NAMES.get(browser, browser)
    system = parsed.os.family if parsed.os else "Other"
    if system == "iOS" and parsed.device and parsed.device.family in {"iPhone", "iPad"}:
        system = parsed.device.family
    system = SYSTEM_NAMES.get(system, system)
    if browser == "Other":
        words = f"A browser on {system}" if system != "Other" else "Unknown browser"
    else:
        words = f"{browser} on {system}" if system != "Other" else browser
    return words[:80]


def start(clinician: Clinician) -> ClinicianSession:
    """A new session for the clinician in this browser; its token goes into the cookie."""
    # Sessions nobody came back to are dead already; clear them out as people sign in.
    now = utcnow()
    db.session.execute(
        delete(ClinicianSession).where(
            (ClinicianSession.last_seen_at < now - idle_limit())
            | (ClinicianSession.signed_in_at < now - LONGEST)
        )
    )
    token = new_token()
    record = ClinicianSession(
        clinician_id=clinician.id,
        token_hash=hash_token(token),
        device=describe_device(request.user_agent.string or ""),
    )
    db.session.add(record)
    db.session.flush()
    session[COOKIE_KEY] = token
    g.clinician_session = record
    return record


def _is_idle(record: ClinicianSession, now: datetime) -> bool:
    return now - record.last_seen_at > idle_limit()


def load(user_id: str) -> Clinician | None:
    """The clinician whose live session this browser's cookie names, or None.

    Reads only: writes (the idle sign-out, "last seen") happen in `keep_alive()` and `forget()`
    at the start of a clinician's request, never in the middle of another view's transaction.
    """
    token = session.get(COOKIE_KEY)
    record = None
    if isinstance(token, str) and token:
        record = db.session.scalar(
            select(ClinicianSession)
            .where(ClinicianSession.token_hash == hash_token(token))
            .options(joinedload(ClinicianSession.clinician).joinedload(Clinician.clinic))
        )
    if record is None or str(record.clinician_id) != user_id or not record.clinician.is_enabled:
        g.clinician_session_end = ENDED
        return None
    now = utcnow()
    if now - record.signed_in_at > LONGEST:
        g.clinician_session_end = ENDED
        return None
    if _is_idle(record, now):
        g.clinician_session_end = IDLE
        return None
    g.clinician_session = record
    return record.clinician


def current() -> ClinicianSession | None:
    """This request's session, once the clinician has been loaded."""
    return g.get("clinician_session")


def keep_alive() -> None:
    """Note that the clinician is here, so that the idle limit counts from now."""
    record = current()
    now = utcnow()
    if record is None or now - record.last_seen_at < _touch_every():
        return
    db.session.execute(
        update(ClinicianSession).where(ClinicianSession.id == record.id).values(last_seen_at=now)
    )
    db.session.commit()


def end_reason() -> str:
    """Why this browser's session is over (after `load()` refused it)."""
    return g.get("clinician_session_end", ENDED)


def forget() -> None:
    """Clear a dead session from this browser, and from the database if it is still there."""
    token = session.get(COOKIE_KEY)
    if isinstance(token, str) and token:
        db.session.execute(
            delete(ClinicianSession).where(ClinicianSession.token_hash == hash_token(token))
        )
        db.session.commit()
    session.clear()


def end_current() -> None:
    """End this browser's session (signing out); the caller commits."""
    record = current()
    if record is not None:
        db.session.execute(delete(ClinicianSession).where(ClinicianSession.id == record.id))
    g.pop("clinician_session", None)


def end_all(clinician_id: int) -> int:
    """End every session of a clinician (disabled, or two-factor or password reset)."""
    result = db.session.execute(
        delete(ClinicianSession).where(ClinicianSession.clinician_id == clinician_id)
    )
    return result.rowcount or 0


def end_others(clinician_id: int) -> int:
    """End the clinician's sessions in every other browser; this one goes on."""
    record = current()
    query = delete(ClinicianSession).where(ClinicianSession.clinician_id == clinician_id)
    if record is not None:
        query = query.where(ClinicianSession.id != record.id)
    return db.session.execute(query).rowcount or 0


def other_session(clinician_id: int, session_id: int) -> ClinicianSession | None:
    """One of the clinician's sessions in another browser, or None."""
    record = db.session.get(ClinicianSession, session_id)
    this = current()
    if record is None or record.clinician_id != clinician_id:
        return None
    if this is not None and record.id == this.id:
        return None
    return record


def end(record: ClinicianSession) -> None:
    """End one session; the caller commits."""
    db.session.execute(delete(ClinicianSession).where(ClinicianSession.id == record.id))


def active(clinician_id: int) -> list[ClinicianSession]:
    """The clinician's sessions that have not gone idle, the most recently used first."""
    return list(
        db.session.scalars(
            select(ClinicianSession)
            .where(
                ClinicianSession.clinician_id == clinician_id,
                ClinicianSession.last_seen_at >= utcnow() - idle_limit(),
                ClinicianSession.signed_in_at >= utcnow() - LONGEST,
            )
            .order_by(ClinicianSession.last_seen_at.desc(), ClinicianSession.id.desc())
        )
    )
