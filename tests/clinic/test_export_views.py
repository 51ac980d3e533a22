"""Export routes: scoped to the clinic, date ranges, audited; the patient page chart."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from fhir.resources.bundle import Bundle
from sqlalchemy import event, insert, select

from aftercare.clinic import streaming
from aftercare.models import AuditEvent, CheckIn, utcnow


def rows(response) -> list[list[str]]:  # noqa: ANN001
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_a_patients_check_ins_download_as_csv(phone, clinician_client, db, patient):
    phone.check_in(headache="2", note="=1+1")
    response = clinician_client.get(f"/clinic/patients/{patient.id}/check-ins.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    header, row = rows(response)
    assert row[header.index("Headache")] == "2"
    assert "'=1+1" in row
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export.csv"))
    assert event.patient_id == patient.id


def test_the_clinic_export_has_only_this_clinics_check_ins_in_the_date_range(
    phone, second_phone, clinician_client, other_clinician_client, db
):
    phone.check_in(headache="1")
    second_phone.check_in(dizziness="1")
    old = db.session.scalars(select(CheckIn)).first()
    old.received_at = utcnow() - timedelta(days=10)
    db.session.commit()
    everything = rows(clinician_client.get("/clinic/export/check-ins.csv"))
    assert len(everything) == 3
    today = utcnow().date().isoformat()
    recent = rows(clinician_client.get(f"/clinic/export/check-ins.csv?from={today}&to={today}"))
    assert len(recent) <= 2  # the old one is left out
    assert len(rows(other_clinician_client.get("/clinic/export/check-ins.csv"))) == 1  # header


EXPORTS = (
    "/clinic/export/check-ins.csv",
    "/clinic/patients/{patient}/check-ins.csv",
    "/clinic/patients/{patient}/fhir.json",
)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday", "'from' must be a date like 2026-11-27"),
        ("to=2026-02-30", "'to' must be a date like 2026-11-27"),
        ("from=20261127", "'from' must be a date like 2026-11-27"),
        ("from=2026-W48-5", "'from' must be a date like 2026-11-27"),
        ("from=%D9%A2%D9%A0%D9%A2%D9%A6-01-01", "'from' must be a date like 2026-11-27"),
        ("from=" + "9" * 5000, "'from' must be a date like 2026-11-27"),
        ("from=9999-12-31", "'from' must be a date from 2000-01-01 to 2099-12-31"),
        ("to=9999-12-31", "'to' must be a date from 2000-01-01 to 2099-12-31"),
        ("from=0001-01-01", "'from' must be a date from 2000-01-01 to 2099-12-31"),
        ("to=1999-12-31", "'to' must be a date from 2000-01-01 to 2099-12-31"),
        ("from=2026-05-02&to=2026-05-01", "'to' must not be before 'from'"),
        ("from=2026-05-01&from=2026-06-01", "'from' was given 2 times"),
        ("page=2", "Exports are not paged"),
        ("page=99999999999999999999999999999", "Exports are not paged"),
        ("per_page=-1", "Exports are not paged"),
        ("limit=10", "Exports are not paged"),
        ("since=2026-01-01", "This export does not take 'since'"),
    ],
)
def test_a_range_or_paging_it_cannot_give_is_a_clear_400(
    clinician_client, db, patient, query, message
):
    for path in EXPORTS:
        response = clinician_client.get(path.format(patient=patient.id) + "?" + query)

        assert response.status_code == 400, path
        assert response.mimetype == "text/plain"
        assert message in response.text, path
    # Nothing was exported, so nothing is in the audit trail.
    exported = select(AuditEvent).where(AuditEvent.action.startswith("export"))
    assert db.session.scalar(exported) is None


def test_the_first_and_last_days_accepted_and_a_single_day_work(clinician_client, patient):
    for path in EXPORTS:
        for query in ("from=2000-01-01&to=2099-12-31", "from=2026-05-01&to=2026-05-01", "to="):
            response = clinician_client.get(path.format(patient=patient.id) + "?" + query)
            assert response.status_code == 200, (path, query)
            assert response.data  # the whole file is read, as a browser would


def test_a_patient_downloads_as_a_valid_fhir_r4_bundle(phone, clinician_client, db, patient):
    phone.check_in(headache="2", rash_itching="y")
    response = clinician_client.get(f"/clinic/patients/{patient.id}/fhir.json")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    data = json.loads(response.data)
    bundle = Bundle.parse_obj(data)
    types = [entry.resource.resource_type for entry in bundle.entry]
    assert types == ["Patient", "Questionnaire", "QuestionnaireResponse"]
    assert patient.display_name not in response.get_data(as_text=True)


def test_exports_of_another_clinics_patient_are_404(other_clinician_client, patient):
    for path in (
        f"/clinic/patients/{patient.id}/check-ins.csv",
        f"/clinic/patients/{patient.id}/fhir.json",
    ):
        assert other_clinician_client.get(path).status_code == 404


def test_the_patient_page_charts_side_effects_with_a_text_alternative(
    phone, clinician_client, patient
):
    phone.check_in(headache="3")
    page = clinician_client.get(f"/clinic/patients/{patient.id}").text
    assert (
        "<svg" in page
        and 'role="img"' in page
        and 'aria-labelledby="side-effects-title side-effects-desc"' in page
    )
    assert "The chart as a table" in page
    assert "Infusion" in page


def audit_trail(db, action_prefix: str) -> list[AuditEvent]:  # noqa: ANN001
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.startswith(action_prefix))
            .order_by(AuditEvent.id)
        )
    )


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/clinic/export/check-ins.csv?from=2000-01-01", "export.csv"),
        ("/clinic/patients/{patient}/check-ins.csv", "export.csv"),
        ("/clinic/patients/{patient}/fhir.json", "export.fhir"),
    ],
)
def test_a_download_is_audited_when_it_starts_and_when_it_completes(
    phone, clinician_client, clinician, db, patient, path, action
):
    phone.check_in(headache="1")
    phone.check_in(headache="2")

    response = clinician_client.get(path.format(patient=patient.id))
    assert response.status_code == 200 and response.data

    started, ended = audit_trail(db, "export")
    assert started.action == action
    assert ended.action == f"{action}.completed"
    assert ended.detail == {"export_event_id": started.id, "completed": True, "rows": 2}
    assert ended.actor == started.actor == f"clinician:{clinician.id}"
    assert ended.clinic_id == started.clinic_id and ended.patient_id == started.patient_id
    if "from=" in path:
        assert started.detail == {"from": "2000-01-01"}


def test_a_download_the_client_leaves_is_audited_as_incomplete(
    phone, clinician_client, db, patient, monkeypatch
):
    monkeypatch.setattr(streaming, "CHUNK_BYTES", 1)  # a piece at a time
    for n in range(3):
        phone.check_in(headache=str(n))

    response = clinician_client.get(f"/clinic/patients/{patient.id}/check-ins.csv", buffered=False)
    body = iter(response.response)
    assert next(body).startswith("\ufeff".encode())  # the header line
    response.close()  # the browser went away

    _, ended = audit_trail(db, "export")
    assert ended.action == "export.csv.incomplete"
    assert ended.detail["completed"] is False
    assert ended.detail["reason"] == "connection closed"


def test_an_export_reads_a_page_at_a_time_and_every_row_once_across_ties(
    clinician_client, db, patient, monkeypatch
):
    monkeypatch.setattr(streaming, "PAGE_SIZE", 3)
    same_moment = utcnow().replace(microsecond=0)
    db.session.execute(
        insert(CheckIn),
        [
            {
                "patient_id": patient.id,
                "idempotency_key": f"tie-{n}",
                "received_at": same_moment + timedelta(seconds=n // 4),
                "severities": {},
                "note": f"note {n}",
                "triage_level": "expected",
                "triage_reasons": [],
            }
            for n in range(10)
        ],
    )
    db.session.commit()
    pages: list[str] = []

    def count_pages(conn, cursor, statement: str, *args: object) -> None:  # noqa: ANN001
        if "FROM patient JOIN check_in" in statement and "LIMIT" in statement:
            pages.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_pages)
    try:
        response = clinician_client.get(f"/clinic/patients/{patient.id}/check-ins.csv")
    finally:
        event.remove(db.engine, "before_cursor_execute", count_pages)

    header, *lines = rows(response)
    assert [line[header.index("Note")] for line in lines] == [f"note {n}" for n in range(10)]
    assert len(pages) == 4  # 3 + 3 + 3 + 1
