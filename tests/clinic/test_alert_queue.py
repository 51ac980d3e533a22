"""The dashboard's order, read from a real server: the most urgent level first, then whoever
has waited longest; an alert dealt with ranks nobody."""

from __future__ import annotations

import re
from datetime import timedelta

from aftercare.models import utcnow
from tests.clinic.alert_stories import alert_waiting
from tests.clinic.http_browser import HttpBrowser
from tests.conftest import add_patient


def alerts_in_order(page: str) -> list[int]:
    """The open alerts' ids, top to bottom, as the acknowledge forms list them."""
    queue = page[page.index('id="alerts-heading"') : page.index('id="patients-heading"')]
    return [int(n) for n in re.findall(r"/clinic/alerts/(\d+)/acknowledge", queue)]


def patients_in_order(page: str) -> list[str]:
    table = page[page.index('id="patients-heading"') :]
    return re.findall(r'<th scope="row"><a href="/clinic/patients/\d+">([^<]+)</a>', table)


def test_the_queue_puts_the_most_urgent_level_first_then_the_longest_wait(
    waitress, db, clinic, clinician
):
    ana, ben, cal, dee = (add_patient(db, clinic, name, hours_ago=14) for name in "ABCD")
    waits = {
        "crisis, 4 min": alert_waiting(ana, "crisis", 4),
        "call, 12 h": alert_waiting(ben, "call_clinic", 12 * 60),
        "crisis, 240 min": alert_waiting(cal, "crisis", 240),
        "emergency, 30 min": alert_waiting(dee, "emergency", 30),
        "crisis, 3 min": alert_waiting(ben, "crisis", 3),
        "call, 10 min": alert_waiting(ana, "call_clinic", 10),
    }
    browser = HttpBrowser(waitress.url)
    assert browser.sign_in(clinician.email).status_code == 302
    page = browser.get("/clinic/")
    assert page.status_code == 200
    shown = {alert_id: name for name, alert_id in ((n, a.id) for n, a in waits.items())}
    assert [shown[i] for i in alerts_in_order(page.text)] == [
        "emergency, 30 min",
        "crisis, 240 min",
        "crisis, 4 min",
        "crisis, 3 min",
        "call, 12 h",
        "call, 10 min",
    ]


def test_most_urgent_patients_are_those_with_open_alerts_not_an_old_acknowledged_crisis(
    waitress, db, clinic, clinician
):
    old_crisis = add_patient(db, clinic, "Old crisis", hours_ago=16 * 24)
    alert_waiting(old_crisis, "crisis", 15 * 24 * 60, acknowledged=True)
    fine = add_patient(db, clinic, "Fine today", hours_ago=3)
    fine.note_check_in(utcnow() - timedelta(hours=1), "expected")
    waiting_call = add_patient(db, clinic, "Waiting call", hours_ago=5)
    alert_waiting(waiting_call, "call_clinic", 120)
    new_crisis = add_patient(db, clinic, "New crisis", hours_ago=5)
    alert_waiting(new_crisis, "crisis", 10)
    add_patient(db, clinic, "Never checked in", hours_ago=None)
    db.session.commit()

    browser = HttpBrowser(waitress.url)
    assert browser.sign_in(clinician.email).status_code == 302
    page = browser.get("/clinic/?sort=triage")
    assert page.status_code == 200
    assert patients_in_order(page.text) == [
        "New crisis",
        "Waiting call",
        "Fine today",
        "Old crisis",
        "Never checked in",
    ]
