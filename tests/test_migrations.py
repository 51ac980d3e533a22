"""Migrations: they build exactly the models' schema, and carry existing data forward."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from aftercare.extensions import db
from aftercare.models import Patient
from tests.conftest import make_app


def test_the_migrations_build_the_schema_the_models_describe(app):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_upgrading_a_database_with_data_fills_the_new_columns(tmp_path, empty_database_url):
    app = make_app(tmp_path, empty_database_url)
    with app.app_context():
        upgrade(revision="0003")
        with db.engine.begin() as old:
            old.execute(
                text(
                    "INSERT INTO clinic (name, timezone, phone, after_hours_phone, content, "
                    "created_at) VALUES ('C', 'UTC', '', '', '{}', :day)"
                ),
                {"day": datetime(2026, 1, 1)},
            )
            old.execute(
                text(
                    "INSERT INTO patient (clinic_id, display_name, created_at) "
                    "VALUES (1, 'P', :day)"
                ),
                {"day": datetime(2026, 1, 1)},
            )
            old.execute(
                text(
                    "INSERT INTO clinician (clinic_id, email, name, password_hash, role, "
                    "is_enabled, created_at, totp_secret_encrypted, totp_last_step) VALUES "
                    "(1, 'a@b.test', 'A', 'x', 'clinician', :yes, :day, '', 0)"
                ),
                {"yes": True, "day": datetime(2026, 1, 1)},
            )
            for key, day, level in (("k1", 2, "crisis"), ("k2", 3, "expected")):
                old.execute(
                    text(
                        "INSERT INTO check_in (patient_id, idempotency_key, received_at, "
                        "severities, note, triage_level, triage_reasons) VALUES "
                        "(1, :key, :at, '{}', '', :level, '[]')"
                    ),
                    {"key": key, "at": datetime(2026, 1, day, 10), "level": level},
                )
            old.execute(
                text(
                    "INSERT INTO infusion (patient_id, started_at, ended_at, created_at) "
                    "VALUES (1, :start, :end, :end)"
                ),
                {"start": datetime(2026, 1, 1, 9), "end": datetime(2026, 1, 1, 10)},
            )
        upgrade()
        row = db.session.execute(
            select(Patient.last_check_in_at, Patient.last_triage_level, Patient.last_infusion_at)
        ).one()
        db.session.remove()
        db.engine.dispose()
    assert tuple(row) == (
        datetime(2026, 1, 3, 10, tzinfo=UTC),
        "expected",
        datetime(2026, 1, 1, 10, tzinfo=UTC),
    )


def test_every_migration_downgrades_to_nothing_and_back(tmp_path, empty_database_url):
    app = make_app(tmp_path, empty_database_url)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        with db.engine.connect() as connection:
            left = set(inspect(connection).get_table_names()) - {"alembic_version"}
        assert left == set()
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert differences == []
