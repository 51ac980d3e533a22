"""The progress page says what each chart shows: the questionnaire's name in words, which way is
better, its severity bands and the infusions; a button to answer only when one is due."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

from aftercare.charts import BAND_TINTS
from tests.questionnaires.test_answering import answer

SVG = "{http://www.w3.org/2000/svg}"


def section(page: str, instrument_id: str) -> str:
    """The part of the progress page about one questionnaire."""
    start = page.index(f'aria-labelledby="q-{instrument_id}"')
    end = page.find("<section", start)
    return page[start : end if end != -1 else None]


def chart_in(part: str) -> ET.Element:
    return ET.fromstring(re.search(r"<svg.*?</svg>", part, re.S).group(0))


def test_each_chart_says_what_it_shows(phone, db, patient):
    answer(phone, "phq9", {n: 1 for n in range(1, 10)})  # 9: mild
    answer(phone, "phq9", {n: 0 for n in range(1, 10)})  # 0: none-minimal

    page = phone.client.get("/questionnaires").text

    phq9 = section(page, "phq9")
    assert '<h2 id="q-phq9">Depression (PHQ-9)</h2>' in phq9
    assert "Lower is better." in phq9
    assert "your score was 0 (None–minimal)" in phq9
    svg = chart_in(phq9)
    assert svg.find(f"{SVG}title").text == "Depression (PHQ-9): your scores"
    description = svg.find(f"{SVG}desc").text
    assert "Lower is better." in description and "infusions" in description
    bands = svg.findall(f".//{SVG}g[@class='chart__bands']/{SVG}rect")
    assert [band.find(f"{SVG}title").text for band in bands] == [
        "None–minimal",
        "Mild",
        "Moderate",
        "Moderately severe",
        "Severe",
    ]
    # Calm: two quiet tints whatever the band, none of the clinic's warning colours.
    assert {band.get("fill") for band in bands}.isdisjoint(BAND_TINTS.values())
    markers = svg.findall(f".//{SVG}g[@class='chart__marker']")
    assert len(markers) == len(patient.infusions) == 1
    assert markers[0].find(f"{SVG}title").text.startswith("Infusion: ")
    # The table says the same: the name, which way is better, each band and the infusion.
    assert "<caption>Depression (PHQ-9). Lower is better.</caption>" in phq9
    assert re.search(r"<td>9</td><td>Mild</td>", phq9)
    assert re.search(r'<tr class="progress__infusion">.*?<td colspan="2">Infusion</td>', phq9, re.S)

    assert '<h2 id="q-gad7">Anxiety (GAD-7)</h2>' in page
    assert '<h2 id="q-pcl5">PTSD symptoms (PCL-5)</h2>' in page


def test_no_answer_button_unless_the_questionnaire_is_due(phone, db, patient, clinic):
    # The first ones fall due the day after the infusion (an hour ago) and open 12 hours early:
    # at 20:00 they open at 08:00 that day, after this test whatever the time it runs.
    clinic.content = {"questionnaires": {"hour": 20}}
    db.session.commit()
    page = phone.client.get("/questionnaires").text
    assert "Answer the" not in page and "It is time to answer" not in page

    clinic.content = {"questionnaires": {"pcl5_days": 0, "gad7_days": 0}}
    infusion = patient.latest_infusion
    infusion.ended_at -= timedelta(days=2)
    infusion.started_at -= timedelta(days=2)
    db.session.commit()
    page = phone.client.get("/questionnaires").text
    assert "Answer the PHQ-9" in section(page, "phq9")
    assert "Answer the" not in section(page, "pcl5") + section(page, "gad7")

    answer(phone, "phq9", {n: 1 for n in range(1, 10)})
    assert "Answer the" not in phone.client.get("/questionnaires").text


def test_the_progress_page_is_in_spanish(phone, db, patient):
    patient.language = "es"
    db.session.commit()
    answer(phone, "gad7", {n: 1 for n in range(1, 8)})  # 7: mild

    page = phone.client.get("/questionnaires").text

    gad7 = section(page, "gad7")
    assert '<h2 id="q-gad7">Ansiedad (GAD-7)</h2>' in gad7
    assert "Más bajo es mejor." in gad7
    svg = chart_in(gad7)
    labels = [t.text for t in svg.findall(f".//{SVG}text[@class='chart__band-label']")]
    assert labels == ["Mínima", "Leve", "Moderada", "Grave"]
    assert "Infusión" in gad7
    assert "Depresión (PHQ-9)" in page and "Síntomas de estrés postraumático (PCL-5)" in page
