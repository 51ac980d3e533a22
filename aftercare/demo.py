"""Demo data: a clinic, a clinician and a patient fresh from an infusion, to try the app."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from .enrollment import create_link
from .extensions import db
from .models import Clinic, Clinician, Infusion, Patient, utcnow
from .questionnaires.due import course_of
from .reminders.rows import plan_infusion, plan_questionnaires

DEMO_CLINIC = "Demo Ketamine Clinic"
DEMO_EMAIL = "demo@aftercare.test"


@dataclass(frozen=True)
class Demo:
    clinician_email: str
    clinician_password: str
    patient_id: int
    enrollment_token: str


def create_demo(enrollment_days: int = 7) -> Demo:
    """Make (or reuse) the demo clinic and clinician, and add a patient with a new link.

    The clinician gets a new random password each time, printed for whoever asked.
    """
    clinic = db.session.scalar(select(Clinic).where(Clinic.name == DEMO_CLINIC))
    if clinic is None:
        clinic = Clinic(
            name=DEMO_CLINIC,
            timezone="America/New_York",
            phone="555-0100",
            after_hours_phone="555-0199",
        )
        db.session.add(clinic)
        db.session.flush()
    clinician = db.session.scalar(select(Clinician).where(Clinician.email == DEMO_EMAIL))
    if clinician is None:
        # A clinician, not an admin: admins must set up two-factor sign-in first.
        clinician = Clinician(clinic_id=clinic.id, email=DEMO_EMAIL, name="Demo Clinician")
        db.session.add(clinician)
    password = secrets.token_urlsafe(12)
    clinician.set_password(password)
    db.session.flush()

    count = db.session.query(Patient).filter_by(clinic_id=clinic.id).count()
    patient = Patient(clinic_id=clinic.id, display_name=f"Demo patient {count + 1}")
    db.session.add(patient)
    db.session.flush()
    ended = utcnow() - timedelta(hours=1)
    infusion = Infusion(
        patient_id=patient.id,
        started_at=ended - timedelta(minutes=50),
        ended_at=ended,
        recorded_by_id=clinician.id,
    )
    db.session.add(infusion)
    patient.note_infusion(ended)
    db.session.flush()
    plan_infusion(infusion, clinic)
    plan_questionnaires(patient, course_of(patient))
    _, token = create_link(patient, clinician.id, days=enrollment_days)
    db.session.commit()
    return Demo(DEMO_EMAIL, password, patient.id, token)
