"""the patient's reply to an appointment's reminders ("I'll be there" / "I need another time")

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-20 09:00:00.000000

Every appointment booked so far has no reply.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("replied_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("reply_channel", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("reply_handled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("reply_handled_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_appointment_reply_handled_by_id_clinician"),
            "clinician",
            ["reply_handled_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            "ix_appointment_clinic_id_reply_reply_handled_at",
            ["clinic_id", "reply", "reply_handled_at"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index("ix_appointment_clinic_id_reply_reply_handled_at")
        batch_op.drop_constraint(
            batch_op.f("fk_appointment_reply_handled_by_id_clinician"), type_="foreignkey"
        )
        batch_op.drop_column("reply_handled_by_id")
        batch_op.drop_column("reply_handled_at")
        batch_op.drop_column("reply_channel")
        batch_op.drop_column("replied_at")
        batch_op.drop_column("reply")
