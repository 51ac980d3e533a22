"""Sharing one journal entry with the care team, over real HTTP as the outbox sends it: stored
once by the entry's id, taken back on request, junk refused with a 4xx and nothing stored."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from aftercare.care.journal import ANSWER_MAX_LENGTH, PROMPT_MAX_LENGTH, TEXT_MAX_LENGTH
from aftercare.extensions import db as _db
from aftercare.models import AuditEvent, SharedJournalEntry
from tests.conftest import add_patient, csrf_from, enrollment_token
from tests.http_client import TIMEOUT_S, linked_phone, page_token, signed_in

OUTBOX = {"Accept": "application/json"}


def entry(client_id: str | None = None, **changes: Any) -> dict[str, str]:
    """An entry's fields as journal.js puts them in the share form."""
    fields = {
        "client_id": uuid.uuid4().hex[:24] if client_id is None else client_id,
        "written_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "mood": "6",
        "prompt_1": "What stood out during the session?",
        "answer_1": "The music, and feeling calm.",
        "text": "A slow morning; a walk by the river.",
    }
    fields.update(changes)
    return {name: value for name, value in fields.items() if value is not None}


class Phone:
    """A linked phone's outbox, posting forms kept from the journal page."""

    def __init__(self, served, session: requests.Session) -> None:  # noqa: ANN001
        self.url = served.url
        self.http = session
        self.token = page_token(session, f"{served.url}/journal")

    def send(self, path: str, fields: dict[str, str], key: str | None = None) -> requests.Response:
        body = {
            **fields,
            "csrf_token": self.token,
            "idempotency_key": key or uuid.uuid4().hex,
            "filled_at": datetime.now(UTC).isoformat(),
        }
        return self.http.post(f"{self.url}{path}", data=body, headers=OUTBOX, timeout=TIMEOUT_S)

    def share(self, fields: dict[str, str], key: str | None = None) -> requests.Response:
        return self.send("/journal/shared", fields, key)

    def unshare(self, client_id: str) -> requests.Response:
        return self.send("/journal/unshared", {"client_id": client_id})


@pytest.fixture
def journal_phone(waitress, db, patient) -> Phone:  # noqa: ANN001
    return Phone(waitress, linked_phone(waitress, enrollment_token(db, patient)))


def shared_rows(patient_id: int) -> list[SharedJournalEntry]:
    _db.session.expire_all()
    return list(
        _db.session.scalars(
            select(SharedJournalEntry).where(SharedJournalEntry.patient_id == patient_id)
        )
    )


def audit_actions(patient_id: int) -> list[str]:
    _db.session.expire_all()
    return list(
        _db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.patient_id == patient_id)
            .order_by(AuditEvent.id)
        )
    )


def test_a_shared_entry_is_stored_once_however_often_it_is_sent(journal_phone, patient) -> None:  # noqa: ANN001
    fields = entry("a1b2c3d4e5f6a1b2c3d4e5f6")
    first = journal_phone.share(fields, key="k" * 32)
    assert first.status_code == 201, first.text
    assert first.json()["created"] is True
    assert first.json()["result_url"] == "/journal?shared=1"
    # The outbox again after a lost answer (same key), then a second tap (a new key).
    again = journal_phone.share(fields, key="k" * 32)
    tapped_twice = journal_phone.share(fields)
    assert (again.status_code, tapped_twice.status_code) == (200, 200)
    assert again.json()["id"] == tapped_twice.json()["id"] == first.json()["id"]

    [stored] = shared_rows(patient.id)
    assert stored.client_id == "a1b2c3d4e5f6a1b2c3d4e5f6"
    assert stored.mood == 6
    assert stored.answers == [
        {"prompt": "What stood out during the session?", "text": "The music, and feeling calm."}
    ]
    assert stored.text == "A slow morning; a walk by the river."
    assert abs(stored.written_at - datetime.fromisoformat(fields["written_at"])) < timedelta(
        seconds=1
    )
    assert audit_actions(patient.id).count("journal.share") == 1


def test_unsharing_deletes_the_entry_on_the_server_and_can_be_sent_twice(
    journal_phone,
    patient,  # noqa: ANN001
) -> None:
    kept, taken_back = entry(), entry()
    for fields in (kept, taken_back):
        assert journal_phone.share(fields).status_code == 201
    first = journal_phone.unshare(taken_back["client_id"])
    assert first.status_code == 201 and first.json()["result_url"] == "/journal?unshared=1"
    again = journal_phone.unshare(taken_back["client_id"])
    assert again.status_code == 200 and again.json()["created"] is False
    assert [row.client_id for row in shared_rows(patient.id)] == [kept["client_id"]]
    assert audit_actions(patient.id).count("journal.unshare") == 1


def test_a_phone_cannot_unshare_another_patients_entry(
    waitress, db, patient, journal_phone
) -> None:  # noqa: ANN001
    fields = entry()
    assert journal_phone.share(fields).status_code == 201
    other = add_patient(db, patient.clinic, "Robin")
    stranger = Phone(waitress, linked_phone(waitress, enrollment_token(db, other)))
    assert stranger.unshare(fields["client_id"]).json()["created"] is False
    assert len(shared_rows(patient.id)) == 1


JUNK = [
    ("mood above 10", {"mood": "11"}),
    ("mood below 0", {"mood": "-1"}),
    ("mood not a number", {"mood": "calm"}),
    ("mood of a thousand digits", {"mood": "9" * 1000}),
    ("no client id", {"client_id": None}),
    ("an empty client id", {"client_id": ""}),
    ("a client id with a slash", {"client_id": "../../etc/passwd"}),
    ("a client id too long", {"client_id": "a" * 65}),
    ("no time written", {"written_at": None}),
    ("a time with no zone", {"written_at": "2026-01-01T10:00:00"}),
    ("a time in the future", {"written_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}),
    ("a time long ago", {"written_at": "1999-01-01T10:00:00+00:00"}),
    ("not a time", {"written_at": "yesterday"}),
    ("text too long", {"text": "a" * (TEXT_MAX_LENGTH + 1)}),
    ("an answer too long", {"answer_1": "a" * (ANSWER_MAX_LENGTH + 1)}),
    ("a question too long", {"prompt_1": "a" * (PROMPT_MAX_LENGTH + 1)}),
    ("an answer without its question", {"prompt_1": None, "answer_2": "lost"}),
    ("nothing written", {"mood": None, "answer_1": None, "text": "  "}),
]


def test_junk_is_refused_with_a_422_and_nothing_is_stored(journal_phone, patient) -> None:  # noqa: ANN001
    for what, changes in JUNK:
        fields = entry(**{k: v for k, v in changes.items() if k != "client_id"})
        if "client_id" in changes:
            fields.pop("client_id")
            if changes["client_id"] is not None:
                fields["client_id"] = changes["client_id"]
        response = journal_phone.share(fields)
        assert response.status_code == 422, (what, response.status_code, response.text[:200])
        assert response.json()["error"] == "invalid", what
    for junk_id in ("", "a/b" * 4, "é" * 24):
        assert journal_phone.unshare(junk_id).status_code == 422, junk_id
    assert shared_rows(patient.id) == []


def test_an_expired_token_is_a_400_the_outbox_can_recover_from(journal_phone, patient) -> None:  # noqa: ANN001
    journal_phone.token = "not-a-token"
    response = journal_phone.share(entry())
    assert response.status_code == 400 and response.json()["error"] == "csrf"
    assert journal_phone.unshare("a" * 24).status_code == 400
    assert shared_rows(patient.id) == []


def test_a_phone_that_is_not_linked_cannot_share(waitress) -> None:  # noqa: ANN001
    response = requests.post(
        f"{waitress.url}/journal/shared", data=entry(), headers=OUTBOX, timeout=TIMEOUT_S
    )
    assert response.status_code == 401


def clinic_export(session: requests.Session, url: str) -> list[dict[str, str]]:
    response = session.get(url, timeout=TIMEOUT_S)
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_clinic_sees_exports_and_audits_shared_entries_of_its_own_patients_only(
    real_server,
    db,
    patient,
    clinician,
    other_clinician,
    other_clinic_patient,  # noqa: ANN001
) -> None:
    phone = Phone(real_server, linked_phone(real_server, enrollment_token(db, patient)))
    fields = entry(text='=HYPERLINK("x")\nsecond line', answer_1="Calmer, then tired")
    assert phone.share(fields).status_code == 201
    stranger = Phone(
        real_server, linked_phone(real_server, enrollment_token(db, other_clinic_patient))
    )
    assert stranger.share(entry(text="Another clinic's words")).status_code == 201

    team = signed_in(real_server, clinician.email)
    page = team.get(f"{real_server.url}/clinic/patients/{patient.id}", timeout=TIMEOUT_S)
    assert page.status_code == 200
    section = page.text.split('id="journal-heading"', 1)[1].split("</section>", 1)[0]
    assert "Mood: 6 out of 10" in section
    assert "Calmer, then tired" in section
    assert "=HYPERLINK(&#34;x&#34;)\nsecond line" in section  # escaped, line break kept
    assert "Another clinic" not in page.text
    [viewed] = [
        event
        for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "journal.view")
        )
    ]
    [row] = shared_rows(patient.id)
    assert viewed.patient_id == patient.id and viewed.detail == {"entry_ids": [row.id]}
    assert viewed.actor == f"clinician:{clinician.id}"

    rows = clinic_export(team, f"{real_server.url}/clinic/export/journal-entries.csv")
    assert [r["Patient ID"] for r in rows] == [str(patient.id)]
    [exported] = rows
    assert exported["Mood (0-10)"] == "6"
    assert exported["Questions and answers"] == (
        "What stood out during the session?: Calmer, then tired"
    )
    assert exported["Text"] == '\'=HYPERLINK("x")\nsecond line'  # kept from running as a formula
    assert exported["Patient"] == patient.display_name
    own = clinic_export(team, f"{real_server.url}/clinic/patients/{patient.id}/journal-entries.csv")
    assert own == rows
    db.session.expire_all()
    exports = db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "export.journal_csv")
    )
    assert exports >= 2

    # Another clinic's clinician: the patient, their page and their entries do not exist.
    outsider = signed_in(real_server, other_clinician.email)
    for path in (
        f"/clinic/patients/{patient.id}",
        f"/clinic/patients/{patient.id}/journal-entries.csv",
    ):
        assert outsider.get(f"{real_server.url}{path}", timeout=TIMEOUT_S).status_code == 404
    theirs = clinic_export(outsider, f"{real_server.url}/clinic/export/journal-entries.csv")
    assert [r["Text"] for r in theirs] == ["Another clinic's words"]


def test_deleting_a_patient_deletes_their_shared_entries(
    db,
    patient,
    phone,
    admin_client,  # noqa: ANN001
) -> None:
    page = phone.client.get("/journal")
    fields = {**entry(), "csrf_token": csrf_from(page.text), "idempotency_key": uuid.uuid4().hex}
    assert phone.client.post("/journal/shared", data=fields, headers=OUTBOX).status_code == 201
    patient_id = patient.id
    assert len(shared_rows(patient_id)) == 1
    detail = admin_client.get(f"/clinic/patients/{patient_id}")
    response = admin_client.post(
        f"/clinic/admin/patients/{patient_id}/delete",
        data={"csrf_token": csrf_from(detail.text), "confirm": patient.display_name},
    )
    assert response.status_code == 303
    assert db.session.scalar(select(func.count(SharedJournalEntry.id))) == 0


def test_the_journal_export_takes_dates_as_the_check_in_export_does(
    phone,
    db,
    patient,
    clinician_client,  # noqa: ANN001
) -> None:
    page = phone.client.get("/journal")
    for days_ago, text in ((3, "three days ago"), (0, "today")):
        written = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
        fields = {
            **entry(written_at=written, text=text),
            "csrf_token": csrf_from(page.text),
            "idempotency_key": uuid.uuid4().hex,
        }
        assert phone.client.post("/journal/shared", data=fields, headers=OUTBOX).status_code == 201
    today = datetime.now(patient.clinic.tz).date()
    since = clinician_client.get(f"/clinic/export/journal-entries.csv?from={today}")
    assert since.status_code == 200
    rows = list(csv.DictReader(io.StringIO(since.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["Text"] for row in rows] == ["today"]
    for junk in ("from=yesterday", "page=2", f"from={today}&from={today}"):
        refused = clinician_client.get(f"/clinic/export/journal-entries.csv?{junk}")
        assert refused.status_code == 400, junk
        assert refused.mimetype == "text/plain"
