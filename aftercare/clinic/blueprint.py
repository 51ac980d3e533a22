"""The `clinic` blueprint: the clinician's pages under /clinic.

Its routes live in a module for each thing they serve (the dashboard, patients, infusions,
phones, alerts, settings, the course...); each adds them to this one blueprint, so every
endpoint keeps its one name (`clinic.dashboard`, `clinic.patient_detail`, ...). Sign-in,
admin, appointments, sessions and exports are blueprints of their own.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("clinic", __name__, url_prefix="/clinic")


def clinic_pages() -> Blueprint:
    """The blueprint with the routes of every module that serves a clinician's page."""
    # Imported here, for their routes: each module adds its own to `bp` as it is imported.
    from . import (  # noqa: F401
        alerts,
        appointment_replies,
        booster_reviews,
        course,
        dashboard,
        devices,
        infusions,
        journal_entries,
        journal_prompts,
        learn_page,
        outcome_downloads,
        outcomes_page,
        patient_email,
        patients,
        settings_page,
        threshold_settings,
    )

    return bp
