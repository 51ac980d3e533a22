"""Reminders reach a Spanish-speaking patient in Spanish, worded when planned."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select, update

from aftercare.models import Reminder, utcnow
from aftercare.reminders.rows import plan_infusion
from aftercare.reminders.sender import send_due_reminders
from tests.conftest import book_appointment
from tests.reminders.conftest import next_clock_time, subscribe


def make_due(db, patient) -> None:  # noqa: ANN001
    """Bring the patient's planned reminders forward to now, as the clock would."""
    db.session.execute(
        update(Reminder)
        .where(Reminder.patient_id == patient.id, Reminder.state == "pending")
        .values(due_at=utcnow() - timedelta(minutes=1), next_attempt_at=utcnow())
    )
    db.session.commit()


def test_a_spanish_patients_appointment_reminders_arrive_in_spanish(
    push_app, db, patient, receiver
):
    patient.language = "es"
    subscription = subscribe(db, patient, receiver)
    book_appointment(db, patient, "booster", timedelta(days=4))
    db.session.commit()
    make_due(db, patient)

    # At noon on the clinic's clock: at night, quiet hours would hold them until the morning.
    send_due_reminders(now=next_clock_time(patient.clinic, 12))

    payloads = [json.loads(m.payload) for m in receiver.wait_for(3)]
    assert len(receiver.messages(subscription.endpoint)) == 3
    titles = sorted(p["title"] for p in payloads)
    assert titles == ["Planee cómo volverá a casa", "Recordatorio de cita", "Recordatorio de cita"]
    # human_time(): "esta noche a las 6:15 p. m.", "mañana a las 3 p. m.", "el sábado a la 1 p. m."
    days = "lunes|martes|miércoles|jueves|viernes|sábado|domingo"
    when = rf"(hoy|esta noche|mañana|el ({days})) a las? "
    time = r"\d{1,2}(:\d\d)?\W[ap]\.\W?m\."  # "3 p. m.", "3:15 p. m.", with narrow spaces
    for payload in payloads:
        if payload["title"] == "Recordatorio de cita":
            # The time's own full stop ends the sentence (never "p. m..").
            assert re.fullmatch(f"Tiene una cita {when}{time}", payload["body"]), payload
        else:
            assert re.fullmatch(
                f"Su cita es {when}{time} Pida a alguien que le lleve a casa después\\.",
                payload["body"],
            ), payload


def test_check_in_prompts_after_an_infusion_are_in_spanish(app, db, patient, clinic):
    patient.browser_language = "es"  # not chosen: the browser's language is used
    plan_infusion(patient.latest_infusion, clinic)
    db.session.commit()
    words = {
        r.kind: (r.title, r.body)
        for r in db.session.scalars(select(Reminder).where(Reminder.patient_id == patient.id))
    }
    assert words["checkin_morning"] == (
        "Buenos días",
        "¿Cómo durmió? Toque aquí para enviar su reporte.",
    )


def test_a_clinics_own_english_notification_wording_reaches_spanish_patients(
    app, db, patient, clinic
):
    clinic.content = {"notifications": {"morning_title": "Good morning from Riverside"}}
    patient.language = "es"
    plan_infusion(patient.latest_infusion, clinic)
    db.session.commit()
    morning = db.session.scalar(
        select(Reminder).where(
            Reminder.patient_id == patient.id, Reminder.kind == "checkin_morning"
        )
    )
    # The clinic changed the title and wrote no Spanish: its own words, not a generic default.
    assert morning.title == "Good morning from Riverside"
    assert morning.body == "¿Cómo durmió? Toque aquí para enviar su reporte."


def test_one_oclock_reads_a_la_una_in_spanish():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from aftercare.care.reminder_rules import describe_when

    spanish = {
        "at {time}": "a las {time}",
        "one o'clock\x04at {time}": "a la {time}",
        "tomorrow {at}": "mañana {at}",
    }
    tz = ZoneInfo("America/New_York")
    reference = datetime(2026, 3, 2, 12, tzinfo=UTC)
    one = datetime(2026, 3, 3, 18, 30, tzinfo=UTC)  # 1:30 PM in New York
    three = datetime(2026, 3, 3, 20, 0, tzinfo=UTC)  # 3:00 PM
    translate = lambda text: spanish.get(text, text)  # noqa: E731
    assert describe_when(one, reference, tz, "es", translate).startswith("mañana a la 1:30")
    assert describe_when(three, reference, tz, "es", translate).startswith("mañana a las 3 ")
    assert describe_when(one, reference, tz) == "tomorrow at 1:30 PM"
