"""The answers a reminder offers about its appointment: "I'll be there" and "I need another
time", as a notification's action buttons and as links in an email.

Offered only when the message is about exactly one appointment: a button could not say which
of two it answers. The words are in the patient's language; nothing else about the patient or
the appointment goes with them (a push payload names the appointment by its id only).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import Row, select

from ..appointment_replies import CONFIRMED, NEEDS_NEW_TIME
from ..care.reminder_rules import about_appointment
from ..care.translation import N_
from ..extensions import db
from ..i18n import translator
from ..models import Patient

# Short: a phone shows an action's title on one line beside the other.
ACTION_WORDS = {CONFIRMED: N_("I'll be there"), NEEDS_NEW_TIME: N_("I need another time")}


def one_appointment(carried: Sequence[Row]) -> int | None:
    """The id of the one appointment these reminders are about, or None (none, or several)."""
    found = {r.appointment_id for r in carried if r.appointment_id and about_appointment(r.kind)}
    return found.pop() if len(found) == 1 else None


def languages_of(patient_ids: Collection[int]) -> dict[int, str]:
    """Each patient's language for what is sent to them (Patient.notification_language)."""
    if not patient_ids:
        return {}
    return {
        patient_id: language or browser_language or "en"
        for patient_id, language, browser_language in db.session.execute(
            select(Patient.id, Patient.language, Patient.browser_language).where(
                Patient.id.in_(set(patient_ids))
            )
        )
    }


def push_actions(language: str) -> list[dict[str, str]]:
    """The notification's action buttons (Notification `actions`), in `language`."""
    translate = translator(language)
    return [{"action": reply, "title": translate(words)} for reply, words in ACTION_WORDS.items()]
