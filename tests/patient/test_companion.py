"""The companion link: read-only, no answers, a day long, revocable."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from aftercare.models import CompanionLink, utcnow
from tests.conftest import csrf_from


def make_link(phone) -> str:  # noqa: ANN001
    page = phone.client.get("/companion")
    response = phone.client.post("/companion", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 200
    return re.search(r'href="http://localhost(/c/[\w-]+)"', response.text).group(1)


def test_a_companion_sees_what_to_watch_for_and_no_answers(app, phone, db, patient):
    phone.check_in(note="private words", headache="2")
    link = make_link(phone)
    companion = app.test_client()  # another phone, not enrolled
    page = companion.get(link)
    assert page.status_code == 200
    assert "Looking after someone after their infusion" in page.text
    assert "Call 911 if they have" in page.text and 'href="tel:988"' in page.text
    assert 'href="tel:5550100"' in page.text
    assert "Do not drive" in page.text
    assert "private words" not in page.text and "Headache" not in page.text
    assert patient.display_name not in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_the_link_ends_24_hours_after_the_infusion(app, phone, db, patient):
    link = make_link(phone)
    stored = db.session.scalar(select(CompanionLink))
    assert stored.expires_at == patient.latest_infusion.ended_at + timedelta(hours=24)
    stored.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert app.test_client().get(link).status_code == 410


def test_the_patient_can_stop_the_link(app, phone, db):
    link = make_link(phone)
    stored = db.session.scalar(select(CompanionLink))
    page = phone.client.get("/companion")
    phone.client.post(f"/companion/{stored.id}/revoke", data={"csrf_token": csrf_from(page.text)})
    assert app.test_client().get(link).status_code == 410
    assert "stopped" in phone.client.get("/companion").text


def test_only_a_hash_is_kept_and_unknown_links_are_404(app, phone, db):
    link = make_link(phone)
    token = link.rsplit("/", 1)[1]
    assert token not in db.session.scalar(select(CompanionLink)).token_hash
    assert app.test_client().get("/c/not-a-token").status_code == 404


def test_no_link_can_be_made_a_day_after_the_infusion(phone, db, patient):
    infusion = patient.latest_infusion
    infusion.ended_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    page = phone.client.get("/companion")
    assert "first day after an infusion" in page.text
    token = csrf_from(phone.client.get("/check-in").text)
    response = phone.client.post("/companion", data={"csrf_token": token})
    assert response.status_code == 409


def test_another_patient_cannot_stop_my_link(phone, second_phone, db):
    make_link(phone)
    stored = db.session.scalar(select(CompanionLink))
    page = second_phone.client.get("/companion")
    response = second_phone.client.post(
        f"/companion/{stored.id}/revoke", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 404
