"""Migrations: they build exactly the models' schema, and carry existing data forward."""

from __future__ import annotations

import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from aftercare.extensions import db
from tests.conftest import make_app


def test_the_migrations_build_the_schema_the_models_describe(app):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_upgrading_a_database_with_data_fills_the_new_columns(tmp_path):
    path = tmp_path / "old.sqlite3"
    app = make_app(tmp_path, f"sqlite:///{path}")
    with app.app_context():
        upgrade(revision="0003")
        db.engine.dispose()
    with sqlite3.connect(path) as old:
        old.execute(
            "INSERT INTO clinic (name, timezone, phone, after_hours_phone, content, "
            "created_at) VALUES ('C', 'UTC', '', '', '{}', '2026-01-01')"
        )
        old.execute(
            "INSERT INTO patient (clinic_id, display_name, created_at) "
            "VALUES (1, 'P', '2026-01-01')"
        )
        old.execute(
            "INSERT INTO clinician (clinic_id, email, name, password_hash, role, "
            "is_enabled, created_at, totp_secret_encrypted, totp_last_step) VALUES "
            "(1, 'a@b.test', 'A', 'x', 'clinician', 1, '2026-01-01', '', 0)"
        )
        for key, day, level in (("k1", "02", "crisis"), ("k2", "03", "expected")):
            old.execute(
                "INSERT INTO check_in (patient_id, idempotency_key, received_at, "
                "severities, note, triage_level, triage_reasons) VALUES "
                f"(1, '{key}', '2026-01-{day} 10:00:00', '{{}}', '', '{level}', '[]')"
            )
        old.execute(
            "INSERT INTO infusion (patient_id, started_at, ended_at, created_at) VALUES "
            "(1, '2026-01-01 09:00:00', '2026-01-01 10:00:00', '2026-01-01')"
        )
    with app.app_context():
        upgrade()
        db.engine.dispose()
    with sqlite3.connect(path) as new:
        row = new.execute(
            "SELECT last_check_in_at, last_triage_level, last_infusion_at FROM patient"
        ).fetchone()
    assert row == ("2026-01-03 10:00:00", "expected", "2026-01-01 10:00:00")
