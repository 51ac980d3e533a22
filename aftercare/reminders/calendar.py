"""An appointment as an .ics file: downloaded from Today, and attached to reminder emails."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event

from ..care.reminder_rules import APPOINTMENT_KINDS, SEDATING_KINDS
from ..links import external_url_for
from ..models import Appointment, utcnow


def appointment_calendar(
    appointment: Appointment, clinic_name: str, url: str | None = None
) -> bytes:
    """An .ics file with the appointment and an alarm before it (`url`: where it links; Today
    by default, which needs a request to name)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Aftercare//Appointments//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"appointment-{appointment.id}@aftercare")
    event.add("dtstamp", utcnow())
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.starts_at + timedelta(minutes=appointment.duration_minutes))
    kind = _(APPOINTMENT_KINDS[appointment.kind])
    event.add("summary", f"{kind}, {clinic_name}")
    event.add("url", url or external_url_for("patient.today"))
    if appointment.kind in SEDATING_KINDS:
        event.add("description", _("Arrange for someone to take you home afterwards."))
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", _("%(appointment)s in 2 hours", appointment=kind))
    alarm.add("trigger", timedelta(hours=-2))
    event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical()
