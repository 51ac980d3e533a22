"""A patient's questionnaire totals and their classifications, downloaded over real HTTP as CSV
and as valid FHIR R4 Observations with LOINC codes, audited; another clinic's patient is 404."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from fhir.resources import construct_fhir_element
from fhir.resources.bundle import Bundle
from sqlalchemy import select

from aftercare.models import AuditEvent, Infusion, utcnow
from tests.clinic.http_browser import HttpBrowser
from tests.conftest import add_patient
from tests.questionnaires.test_booster_review import answered


def test_totals_and_classifications_download_as_csv_and_fhir(
    waitress, db, clinic, clinician, other_clinic_patient
):
    patient = add_patient(db, clinic, "Dana", hours_ago=None)
    answered(db, patient, "phq9", 20, days_ago=30)  # baseline
    answered(db, patient, "pcl5", 50, days_ago=30)
    started = utcnow() - timedelta(days=28)
    db.session.add(
        Infusion(patient_id=patient.id, started_at=started, ended_at=started + timedelta(hours=1))
    )
    db.session.commit()
    answered(db, patient, "phq9", 10, days_ago=1)  # exactly half: a response
    answered(db, patient, "pcl5", 40, days_ago=1)
    browser = HttpBrowser(waitress.url)
    assert browser.sign_in(clinician.email).status_code == 302

    table = browser.get(f"/clinic/patients/{patient.id}/questionnaires.csv")
    bundle = browser.get(f"/clinic/patients/{patient.id}/questionnaires.fhir.json")
    refused = browser.get(f"/clinic/patients/{other_clinic_patient.id}/questionnaires.csv")

    assert table.status_code == 200 and table.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.content.decode("utf-8-sig"))))
    latest = {row["Questionnaire"]: row for row in rows}
    assert len(rows) == 4
    assert latest["PHQ-9"]["Total"] == "10"
    assert (latest["PHQ-9"]["Baseline"], latest["PHQ-9"]["Change from baseline"]) == ("20", "-10")
    assert latest["PHQ-9"]["Classification"] == "reliable_improvement"
    assert latest["PHQ-9"]["Response"] == "yes"
    assert latest["PCL-5"]["Classification"] == "meaningful_improvement"
    assert [row["Classification"] for row in rows if row["Total"] in ("20", "50")] == [
        "baseline",
        "baseline",
    ]

    assert bundle.status_code == 200
    assert bundle.headers["Content-Type"].startswith("application/fhir+json")
    document = json.loads(bundle.text)
    Bundle.parse_obj(document)
    resources = [entry["resource"] for entry in document["entry"]]
    for resource in resources:
        construct_fhir_element("Observation", resource)
    phq9 = [r for r in resources if r["code"]["coding"][0]["code"] == "44261-6"]
    assert [r["valueInteger"] for r in phq9] == [20, 10]
    assert phq9[0]["code"]["coding"][0]["system"] == "http://loinc.org"
    codes = {c["code"] for i in phq9[1]["interpretation"] for c in i["coding"]}
    assert codes == {"reliable_improvement", "response"}
    assert all("Dana" not in json.dumps(r) for r in resources)  # pseudonymous

    assert refused.status_code == 404
    db.session.rollback()
    actions = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.patient_id == patient.id, AuditEvent.action.startswith("export.")
        )
    ).all()
    assert {"export.questionnaires_csv", "export.questionnaires_fhir"} <= set(actions)
