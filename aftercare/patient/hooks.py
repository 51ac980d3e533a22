"""What the patient side adds to every request; the app factory registers these.

A request from a patient's phone starts by finding the phone and its patient (the phone is
noted as seen), and hands the patient's language to aftercare.i18n, before anything is checked
or rendered. Every page, the error pages too, carries the crisis bar: with the clinic's numbers
and words on a patient page, the defaults elsewhere.
"""

from __future__ import annotations

from typing import Any

from flask import g, request

from ..i18n import content_for, set_patient_language
from ..patient_access import PATIENT_BLUEPRINTS, current_device, note_seen

# What a patient's phone opens besides its patient pages, in the patient's language too: the
# language switch, and the app's own files (the offline page, the manifest, the service worker).
OTHER_PHONE_BLUEPRINTS = frozenset({"language", "pwa"})


def from_a_phone() -> bool:
    """Whether this request is one a patient's phone makes: a patient page, the app's own
    files, or an address that is no page (whose 404 the patient reads)."""
    blueprint = request.blueprint
    return (
        blueprint in PATIENT_BLUEPRINTS
        or blueprint in OTHER_PHONE_BLUEPRINTS
        or request.url_rule is None
    )


def start_phone_request() -> None:
    """The phone and its patient, noted as seen, and the patient's language, for this request."""
    # Looked up afresh for each request: an app context (a test's, a shell's) can outlive one.
    g.pop("device", None)
    if not from_a_phone():
        return
    device = current_device()
    if device is None:
        return
    note_seen(device)
    set_patient_language(device.patient.language)


def patient_context() -> dict[str, Any]:
    """The clinic and its words, for the crisis bar on every patient page."""
    device = current_device() if request.blueprint in PATIENT_BLUEPRINTS else None
    clinic = device.patient.clinic if device else None
    return {"clinic": clinic, "content": content_for(clinic)}
