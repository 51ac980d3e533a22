"""an index for the open alerts of each patient

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 04:00:00.000000

The patient list's "most urgent" order groups the clinic's open alerts by patient; this index
covers that grouping, so it reads the open alerts' index entries only.
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alert_clinic_id_acknowledged_at_patient_id_level_created_at",
            ["clinic_id", "acknowledged_at", "patient_id", "level", "created_at"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_clinic_id_acknowledged_at_patient_id_level_created_at")
