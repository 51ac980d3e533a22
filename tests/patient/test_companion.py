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
    assert "Call 911 for any of these" in page.text and 'href="tel:988"' in page.text
    assert 'href="tel:5550100"' in page.text
    assert "They should not drive" in page.text
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


def lists(page: str) -> dict[str, list[str]]:
    """Each heading of the companion's page and the lines of the list below it."""
    found = {}
    for part in page.split("<h2")[1:]:
        heading = re.sub(r"<[^>]+>", "", part.split("</h2>")[0].split(">", 1)[1])
        items = re.findall(r"<li[^>]*>(.*?)</li>", part, re.S)
        found[heading] = [re.sub(r"<[^>]+>|\s+", " ", item).strip() for item in items]
    return found


def test_each_heading_and_its_list_speak_to_the_companion_about_them(app, phone, db):
    page = app.test_client().get(make_link(phone)).text
    found = lists(page)

    assert set(found) >= {
        "Until the medicine wears off",
        "Normal, and will pass",
        "Call the clinic about any of these",
        "Call 911 for any of these",
    }
    for heading, items in found.items():
        assert items or heading.startswith("If they talk"), heading
        for line in [heading, *items]:
            # Written to the companion about the patient: never "you" or "your" for the patient.
            assert not re.search(r"\b(you|your)\b", line, re.I), line
    assert (
        "Their mood is lower than before the infusion."
        in found["Call the clinic about any of these"]
    )
    assert found["Until the medicine wears off"][0].startswith("They should not drive")
    assert "In the clinic's own words" not in page


def test_the_companions_page_is_in_spanish_in_the_same_voice(app, phone, db):
    link = make_link(phone)
    companion = app.test_client()
    companion.set_cookie("aftercare_language", "es")

    found = lists(companion.get(link).text)

    assert found["Llame a la clínica si nota algo de esto"][3] == (
        "El estado de ánimo de la persona está más bajo que antes de la infusión."
    )
    assert found["Hasta que pase el efecto del medicamento"][0].startswith(
        "La persona no debe manejar"
    )
    # Never an instruction to "usted", the companion, where the patient is meant.
    for items in found.values():
        assert not any(re.search(r"\b(No maneje|No tome|usted)\b", line) for line in items)


def test_a_list_the_clinic_rewrote_reaches_the_companion_in_the_clinics_words(
    app, phone, db, clinic
):
    own = ["Your mood is lower than before, or you feel unsafe.", "Kratom use."]
    clinic.content = {"call_clinic": own}
    db.session.commit()

    page = app.test_client().get(make_link(phone)).text

    section = page[page.index('id="clinic-heading"') : page.index('id="emergency-heading"')]
    assert "In the clinic's own words to them:" in section
    assert lists(page)["Call the clinic about any of these"] == own
    # The lists the clinic kept are still in the companion's own words, with no such line.
    assert page.count("In the clinic's own words to them:") == 1
    assert "Swelling of their face or lips." in page


def test_the_new_link_can_be_shared_copied_or_scanned(phone, db):
    page = phone.client.get("/companion")
    response = phone.client.post("/companion", data={"csrf_token": csrf_from(page.text)})

    url = re.search(r'id="companion-link" href="(http://localhost/c/[\w-]+)"', response.text)
    assert url, "the link is on the page"
    assert 'id="share-link"' in response.text and 'id="copy-link"' in response.text
    assert re.search(r"<svg[^>]*><title>QR code of the link</title>", response.text)
    assert "share.js" in response.text
    # Nothing of the sort before a link is made: the QR code shows only the new link.
    assert "<svg" not in page.text and "share.js" not in page.text
