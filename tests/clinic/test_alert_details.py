"""What an alert tells the nurse, read from a real server: hours since the infusion, every answer
that raised it in words, the other answers, vitals and the patient's note."""

from __future__ import annotations

import re

from aftercare.questionnaires.service import Submission, instruments, save_response
from tests.clinic.alert_stories import alert_waiting
from tests.clinic.http_browser import HttpBrowser
from tests.conftest import add_patient


def alert_text(page: str, alert_id: int) -> str:
    """The words of one alert's list item, tags removed."""
    start = page.rindex(
        '<li class="alert ', 0, page.index(f"/clinic/alerts/{alert_id}/acknowledge")
    )
    item = page[start : page.index("</li>\n", page.index(f"/clinic/alerts/{alert_id}/"))]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).replace("&#34;", '"')


def test_each_alert_says_when_why_in_the_patients_answers_vitals_and_note(
    waitress, db, app, clinic, clinician
):
    ivan = add_patient(db, clinic, "Ivan R.", hours_ago=6)
    crisis = alert_waiting(
        ivan,
        "crisis",
        30,
        systolic=150,
        diastolic=95,
        heart_rate=88,
        note="I can't stop thinking about it",
    )
    # The same check-in's answers beyond the red flag.
    crisis.check_in.severities = {"suicidal_thoughts": 1, "headache": 2, "nausea": 0}
    db.session.commit()
    phq9 = instruments()["phq9"]
    answers = dict.fromkeys(range(1, 10), 1) | {9: 2}
    save_response(ivan, None, Submission(phq9, "phq9-now", answers, {}, None))

    browser = HttpBrowser(waitress.url)
    assert browser.sign_in(clinician.email).status_code == 302
    for path in ("/clinic/", f"/clinic/patients/{ivan.id}"):
        page = browser.get(path).text
        check_in = alert_text(page, crisis.id)
        assert "5.5 h after the infusion · Check-in" in check_in
        assert "Raised by Thoughts of hurting yourself or ending your life" in check_in
        assert "Also Headache: quite a bit" in check_in
        assert "Nausea" not in check_in  # answered "no"
        assert "Vitals Blood pressure 150/95, pulse 88" in check_in
        assert "Patient's note “I can&#39;t stop thinking about it”" in check_in

        [questionnaire_alert] = [
            int(n)
            for n in re.findall(r"/clinic/alerts/(\d+)/acknowledge", page)
            if int(n) != crisis.id
        ]
        questionnaire = alert_text(page, questionnaire_alert)
        assert "h after the infusion · PHQ-9" in questionnaire
        assert (
            "Raised by Item 9, “Thoughts that you would be better off dead or of hurting yourself"
            " in some way”: More than half the days" in questionnaire
        )
        assert "Total 10" in questionnaire
