"""Adding a patient over real HTTP: the form posts, then redirects to a page that says the
patient was added and shows their first enrollment link once; the patient page offers a new one
near its top."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from aftercare.models import AuditEvent, Device, EnrollmentLink, Patient
from tests.clinic.http_browser import HttpBrowser
from tests.people_over_http import Phone, enrollment_link_on


def links_made(db) -> int:  # noqa: ANN001
    db.session.rollback()  # read what the server committed
    return db.session.scalar(select(func.count(EnrollmentLink.id)))


def test_a_new_patient_lands_on_their_qr_code_once_then_on_a_way_to_a_new_one(
    waitress, db, clinic, clinician
):
    nurse = HttpBrowser(waitress.url)
    assert nurse.sign_in(clinician.email).status_code == 302

    created = nurse.submit("/clinic/patients/new", {"display_name": "Ivan R."})
    assert created.status_code == 303
    ivan = db.session.scalar(select(Patient))
    added = f"/clinic/patients/{ivan.id}/added"
    assert created.headers["Location"] == added
    assert links_made(db) == 0  # the post only adds the patient

    shown = nurse.get(added)
    assert shown.status_code == 200
    assert shown.headers["Cache-Control"] == "no-store"
    assert "<h1>Patient Ivan R. added</h1>" in shown.text
    assert "<svg" in shown.text and "Enrollment QR code" in shown.text
    link = enrollment_link_on(shown.text)
    assert link.startswith(f"{waitress.url}/enroll/")
    # The QR code and the link lead the page; the next steps and the patient page follow.
    body = shown.text
    assert body.index("<svg") < body.index("Next steps") < body.index("Record the infusion")
    assert f'href="/clinic/patients/{ivan.id}#appointments-heading">Plan appointments' in body
    assert f'href="/clinic/patients/{ivan.id}">Open Ivan R.\'s page' in body
    assert links_made(db) == 1
    assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()[-2:] == [
        "patient.create",
        "enrollment_link.create",
    ]

    # A reload makes no second link and shows none: the first was shown once.
    again = nurse.get(added)
    assert again.status_code == 200 and "<svg" not in again.text and "/enroll/" not in again.text
    assert "Show a new enrollment QR code" in again.text
    assert links_made(db) == 1

    # The link works: Ivan's phone links itself with it.
    Phone(link)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Device.id)).where(Device.patient_id == ivan.id)) == 1


def test_another_clinics_new_patient_page_is_404(waitress, db, clinic, other_clinician):
    ours = HttpBrowser(waitress.url)
    theirs = HttpBrowser(waitress.url)
    assert theirs.sign_in(other_clinician.email).status_code == 302
    theirs.submit("/clinic/patients/new", {"display_name": "Eve"})  # sets their own marker
    ivan = Patient(clinic_id=clinic.id, display_name="Ivan R.")
    db.session.add(ivan)
    db.session.commit()
    assert theirs.get(f"/clinic/patients/{ivan.id}/added").status_code == 404
    assert links_made(db) == 0
    assert ours.get(f"/clinic/patients/{ivan.id}/added").status_code == 302  # to sign in


def test_the_patient_page_offers_a_new_qr_code_near_its_top(waitress, db, clinic, clinician):
    nurse = HttpBrowser(waitress.url)
    assert nurse.sign_in(clinician.email).status_code == 302
    nurse.submit("/clinic/patients/new", {"display_name": "Ivan R."})
    ivan = db.session.scalar(select(Patient))
    page = nurse.get(f"/clinic/patients/{ivan.id}").text
    top = page.index('id="enrollment-top"')
    assert top < page.index('id="action-heading"')  # before everything else on the page
    assert "No phone linked yet." in page[top:]
    action = re.search(r'<form method="post" action="([^"]+)" class="enroll-top"', page)
    shown = nurse.submit(f"/clinic/patients/{ivan.id}", {}, action=action.group(1))
    assert shown.status_code == 200 and enrollment_link_on(shown.text).startswith(waitress.url)
