"""How each patient can be reached: the rule, one query for a whole list, and what the clinic
sees on the dashboard and the patient page over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from aftercare.clinic.reach import EmailFacts, reach, reach_of, unreachable_soon
from aftercare.extensions import db as _db
from aftercare.models import Device, utcnow
from aftercare.reminders.push_subscriptions import vapid_public_key
from tests.conftest import add_patient, book_appointment, statements
from tests.http_client import signed_in
from tests.push_receiver import PushReceiver
from tests.reminders.conftest import add_email, subscribe

WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
VERIFIED = EmailFacts(WHEN, None, None)
PENDING = EmailFacts(None, None, None)
UNSUBSCRIBED = EmailFacts(WHEN, WHEN, None)
REFUSED = EmailFacts(WHEN, None, WHEN)


@pytest.fixture
def receiver(app) -> Iterator[PushReceiver]:  # noqa: ANN001
    """The local push service, for subscriptions that look real; nothing is sent here."""
    with PushReceiver(vapid_public_key(app)) as receiver:
        yield receiver


@pytest.mark.parametrize(
    ("phones", "email", "email_on", "by_push", "by_email", "state"),
    [
        (1, None, True, True, False, ""),
        (0, VERIFIED, True, False, True, "verified"),
        (2, VERIFIED, True, True, True, "verified"),
        (0, PENDING, True, False, False, "pending"),
        (0, UNSUBSCRIBED, True, False, False, "unsubscribed"),
        (0, REFUSED, True, False, False, "refused"),
        # Unsubscribed wins over refused: it is the patient's own choice.
        (0, EmailFacts(WHEN, WHEN, WHEN), True, False, False, "unsubscribed"),
        # A confirmed address is no way to reach anyone on a server that sends no email.
        (0, VERIFIED, False, False, False, "off"),
        (0, None, True, False, False, ""),
    ],
)
def test_the_rule_says_how_a_patient_can_be_reached(
    phones, email, email_on, by_push, by_email, state
):
    found = reach(phones, WHEN, email, email_on)
    assert (found.by_push, found.by_email, found.email) == (by_push, by_email, state)
    assert found.reachable == (by_push or by_email)


def test_the_last_push_is_only_told_for_a_phone_that_still_takes_them():
    assert reach(0, WHEN, None, True).last_push_at is None
    assert reach(1, WHEN, None, True).last_push_at == WHEN


@pytest.mark.parametrize(
    ("phones", "installed", "in_browser", "words"),
    [
        (1, 1, 0, "installed app"),
        (2, 2, 0, "installed apps"),
        (1, 0, 1, "in the browser"),
        (2, 0, 2, "in the browser"),
        (2, 1, 1, "1 installed app, 1 in the browser"),
        (3, 2, 1, "2 installed apps, 1 in the browser"),
        # Phones that subscribed before the page said how it runs: told as far as known.
        (2, 1, 0, "1 installed app"),
        (3, 0, 1, "1 in the browser"),
        (1, 0, 0, ""),
        (0, 0, 0, ""),
    ],
)
def test_the_rule_says_how_the_phones_run_aftercare(phones, installed, in_browser, words):
    found = reach(phones, WHEN, None, True, installed=installed, in_browser=in_browser)
    assert found.how_phones_run == words


def test_a_whole_list_is_one_query(app, db, clinic, receiver):
    patients = [add_patient(db, clinic, f"P{n}") for n in range(6)]
    subscribe(db, patients[0], receiver).installed = True
    subscribe(db, patients[0], receiver).installed = False
    gone = subscribe(db, patients[1], receiver)
    gone.disabled_at = utcnow()
    gone.installed = True  # but it takes no reminders: not counted
    unlinked = subscribe(db, patients[2], receiver)
    db.session.get(Device, unlinked.device_id).revoked_at = utcnow()
    add_email(db, patients[3], "c@example.org")
    add_email(db, patients[4], "d@example.org", verified=False)
    db.session.commit()

    ids = [p.id for p in patients]
    with statements(_db.engine) as seen:
        found = reach_of(ids, email_on=True)

    assert [s for s in seen if s != "COMMIT"] == ["SELECT"]
    assert [found[p.id].phones for p in patients] == [2, 0, 0, 0, 0, 0]
    assert [(found[p.id].installed, found[p.id].in_browser) for p in patients[:2]] == [
        (1, 1),
        (0, 0),
    ]
    assert [found[p.id].reachable for p in patients] == [True, False, False, True, False, False]
    assert found[patients[4].id].email == "pending"


def test_the_dashboard_counts_who_has_an_appointment_soon_and_cannot_be_reached(
    app, db, clinic, receiver
):
    pushed = add_patient(db, clinic, "Pushed")
    subscribe(db, pushed, receiver)
    emailed = add_patient(db, clinic, "Emailed")
    add_email(db, emailed, "e@example.org")
    lost = add_patient(db, clinic, "Lost")
    later = add_patient(db, clinic, "Later")  # unreachable, but not within the week
    for someone in (pushed, emailed, lost):
        book_appointment(db, someone, "follow_up", timedelta(days=3))
    book_appointment(db, later, "follow_up", timedelta(days=9))
    db.session.commit()

    assert unreachable_soon(clinic.id, utcnow(), email_on=True) == [lost.id]
    # Without email on the server, the confirmed address reaches nobody.
    assert unreachable_soon(clinic.id, utcnow(), email_on=False) == sorted([emailed.id, lost.id])


def test_the_clinic_sees_reach_on_the_list_the_count_and_the_patient_page(
    app, db, clinic, clinician, receiver, waitress
):
    pushed = add_patient(db, clinic, "Pushed Person")
    subscription = subscribe(db, pushed, receiver)
    subscription.last_success_at = utcnow() - timedelta(hours=1)
    subscription.installed = True
    tabbed = add_patient(db, clinic, "Tab Person")
    subscribe(db, tabbed, receiver).installed = False
    lost = add_patient(db, clinic, "Lost Person")
    add_email(db, lost, "lost@example.org", verified=False)
    for someone in (pushed, lost):
        book_appointment(db, someone, "follow_up", timedelta(days=2))
    db.session.commit()
    browser = signed_in(waitress, clinician.email)

    dashboard = browser.get(f"{waitress.url}/clinic/", timeout=10).text
    assert "1 patient with an appointment in the next 7 days cannot be reached" in dashboard
    assert 'href="/clinic/?reach=unreachable"' in dashboard
    row = dashboard[dashboard.index(">Pushed Person<") :]
    assert "Push: 1 phone (installed app), last delivered" in row[: row.index("</tr>")]
    row = dashboard[dashboard.index(">Tab Person<") :]
    assert "Push: 1 phone (in the browser), nothing delivered yet" in row[: row.index("</tr>")]

    only = browser.get(f"{waitress.url}/clinic/?reach=unreachable", timeout=10)
    assert only.status_code == 200
    assert "Lost Person" in only.text and "Pushed Person" not in only.text
    row = only.text[only.text.index(">Lost Person<") :]
    row = row[: row.index("</tr>")]
    # This test server sends no email: the address waiting for confirmation is told as such.
    assert "Not reachable" in row and "Email: waiting for the patient to confirm it" in row
    assert "@" not in row

    junk = browser.get(f"{waitress.url}/clinic/?reach=%0d%0aX&page=zz", timeout=10)
    assert junk.status_code == 200 and "Pushed Person" in junk.text

    page = browser.get(f"{waitress.url}/clinic/patients/{pushed.id}", timeout=10).text
    assert "Push: 1 phone (installed app), last delivered" in page
    phones = page[page.index('id="devices-heading"') :]
    assert "reminders on, in the installed app" in phones[: phones.index("</section>")]
    page = browser.get(f"{waitress.url}/clinic/patients/{tabbed.id}", timeout=10).text
    assert "Push: 1 phone (in the browser)" in page
    assert "reminders on, in the browser" in page

    page = browser.get(f"{waitress.url}/clinic/patients/{lost.id}", timeout=10).text
    assert "No reminder can reach this patient" in page
    assert "How reminders reach this patient:" in page


def test_another_clinics_patients_are_not_counted(app, db, clinic, other_clinic):
    theirs = add_patient(db, other_clinic, "Theirs")
    book_appointment(db, theirs, "follow_up", timedelta(days=1))
    db.session.commit()
    assert unreachable_soon(clinic.id, utcnow(), email_on=True) == []
    assert unreachable_soon(other_clinic.id, utcnow(), email_on=True) == [theirs.id]
