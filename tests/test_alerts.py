"""One way to tell the clinic about stored answers (aftercare/alerts.py): the alerts that point
at them, and one audit row, for a check-in and a questionnaire alike."""

from __future__ import annotations

from sqlalchemy import select

from aftercare.alerts import RaisedAlert, alert_and_audit
from aftercare.care.triage import Level
from aftercare.models import Alert, AuditEvent, CheckIn, QuestionnaireResponse, utcnow


def stored_check_in(db, patient) -> CheckIn:  # noqa: ANN001
    check_in = CheckIn(
        patient_id=patient.id,
        idempotency_key="alerts-check-in",
        received_at=utcnow(),
        severities={"chest_pain": 1},
        triage_level="emergency",
        triage_reasons=["chest_pain"],
    )
    db.session.add(check_in)
    db.session.flush()
    return check_in


def stored_response(db, patient) -> QuestionnaireResponse:  # noqa: ANN001
    response = QuestionnaireResponse(
        patient_id=patient.id,
        instrument_id="phq9",
        instrument_version="1",
        idempotency_key="alerts-response",
        answers={"9": 1},
        total=1,
        received_at=utcnow(),
    )
    db.session.add(response)
    db.session.flush()
    return response


def test_a_check_ins_alert_points_at_it_and_its_storing_is_audited(db, patient):
    check_in = stored_check_in(db, patient)
    alert_and_audit(
        patient,
        check_in,
        [RaisedAlert(Level.EMERGENCY, ("chest_pain",))],
        detail={"check_in_id": check_in.id, "level": "emergency"},
    )
    db.session.commit()
    alert = db.session.scalar(select(Alert))
    assert (alert.clinic_id, alert.patient_id) == (patient.clinic_id, patient.id)
    assert (alert.check_in_id, alert.questionnaire_response_id) == (check_in.id, None)
    assert (alert.level, alert.reasons) == ("emergency", ["chest_pain"])
    assert alert.created_at == check_in.received_at
    event = db.session.scalar(select(AuditEvent))
    assert (event.action, event.patient_id, event.clinic_id) == (
        "check_in.create",
        patient.id,
        patient.clinic_id,
    )
    assert event.detail == {"check_in_id": check_in.id, "level": "emergency"}


def test_a_questionnaires_alerts_point_at_it_one_each(db, patient):
    response = stored_response(db, patient)
    alert_and_audit(
        patient,
        response,
        [
            RaisedAlert(Level.CRISIS, ["phq9_item9"]),
            RaisedAlert(Level.CALL_CLINIC, ["phq9_severe"]),
        ],
        detail={"response_id": response.id, "instrument": "phq9"},
    )
    db.session.commit()
    alerts = db.session.scalars(select(Alert).order_by(Alert.id)).all()
    assert [(a.level, a.reasons) for a in alerts] == [
        ("crisis", ["phq9_item9"]),
        ("call_clinic", ["phq9_severe"]),
    ]
    assert {(a.questionnaire_response_id, a.check_in_id) for a in alerts} == {(response.id, None)}
    [event] = db.session.scalars(select(AuditEvent)).all()
    assert event.action == "questionnaire.create"
    assert event.detail == {"response_id": response.id, "instrument": "phq9"}


def test_answers_that_raise_nothing_are_still_audited(db, patient):
    check_in = stored_check_in(db, patient)
    alert_and_audit(patient, check_in, [], detail={"check_in_id": check_in.id, "level": "expected"})
    db.session.commit()
    assert db.session.scalar(select(Alert)) is None
    assert db.session.scalar(select(AuditEvent)).action == "check_in.create"
