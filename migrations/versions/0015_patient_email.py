"""patients' email addresses for reminders, and the channel of each delivery

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-18 09:00:00.000000

Every delivery recorded so far went by push.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "patient_email",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("always", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("consent_noted_by_id", sa.Integer(), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consent_noted_by_id"],
            ["clinician.id"],
            name=op.f("fk_patient_email_consent_noted_by_id_clinician"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_patient_email_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_email")),
        sa.UniqueConstraint("patient_id", name=op.f("uq_patient_email_patient_id")),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=16), server_default="push", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("channel")
    op.drop_table("patient_email")
