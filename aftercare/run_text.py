"""What `aftercare run` says at each start about signing in: the demo's sign-in and enrollment
link, or the commands that give them, or how to make an admin."""

from __future__ import annotations

import os
import shlex
import sys

from flask import current_app
from sqlalchemy import select

from .demo import DEMO_EMAIL, Demo
from .extensions import db
from .models import Clinician


def command_name() -> str:
    """How this `aftercare` was started, so a command to copy runs the same install: with
    scripts/run that is `.venv/bin/aftercare`, from the checkout."""
    started_as = sys.argv[0] if sys.argv else ""
    return shlex.quote(started_as) if os.path.basename(started_as) == "aftercare" else "aftercare"


def demo_command(base: str, configured_base: str | None) -> str:
    """The command that makes a new demo password and a new demo patient with a link."""
    command = f"{command_name()} demo"
    # With AFTERCARE_BASE_URL set, `demo` makes its link from that, as the app does.
    return command if configured_base else f"{command} --base-url {base}"


def sign_in_text(base: str, *, made: Demo | None, link: str | None, production: bool) -> list[str]:
    """The lines to print: `made` and its enrollment `link` when the demo was made just now."""
    configured = current_app.config["BASE_URL"]
    again = demo_command(base, configured)
    login = f"  Clinician sign-in: {base}/clinic/login"
    demo = db.session.scalar(select(Clinician).where(Clinician.email == DEMO_EMAIL))
    if made is not None:
        lines = [
            "Demo data created (set AFTERCARE_DEMO=0 to skip this):",
            login,
            f"    email:    {made.clinician_email}",
            f"    password: {made.clinician_password}",
            f"  Patient enrollment link (open it on a phone, once): {link}",
            "  The password and the link are shown only now: the app keeps them as hashes.",
            f"  For new ones later: {again}",
        ]
    elif demo is not None:
        lines = [
            "Demo data:",
            login,
            f"    email:    {demo.email}",
            "    password: shown at the first start only (the app keeps it as a hash)",
            "  Patient enrollment link: shown at the first start only (kept as a hash too).",
            "  A new password, and a new demo patient with an enrollment link, from another"
            " terminal with the same settings:",
            f"    {again}",
        ]
    else:
        lines = [f"Clinicians sign in at {base}/clinic/login"]
    if db.session.scalar(select(Clinician.id).where(Clinician.role == "admin").limit(1)):
        return lines
    # Settings, Clinicians and the audit trail are for admins, and a new install has none.
    lines.append(
        "No admin yet (only admins open Settings, Clinicians and the Audit trail). To make one:"
    )
    if demo is None:
        lines.append(f'    {command_name()} create-clinic --name "Your clinic"   # prints its id')
    clinic_id = demo.clinic_id if demo is not None else "<id>"
    lines.append(
        f"    {command_name()} create-clinician --clinic-id {clinic_id}"
        ' --email you@example.org --name "Your name" --admin'
    )
    lines.append("  It asks for a password; the admin sets up two-factor sign-in at first sign-in.")
    if demo is None and not production:
        lines.append(f"  Or try the app with demo data: {again}")
    return lines
