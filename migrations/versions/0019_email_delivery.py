"""an email address the mail server refused, and verification emails queued for the scheduler

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 03:00:00.000000

An address whose mail server answered 5xx is switched off, as a push subscription that is gone;
the verification email is queued by the web request and sent by the scheduler, with a claim,
a lease and retries like a reminder's.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("patient_email", schema=None) as batch_op:
        batch_op.add_column(sa.Column("undeliverable_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "undeliverable_reason", sa.String(length=200), server_default="", nullable=False
            )
        )
        batch_op.add_column(sa.Column("verify_due_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("verify_lease_until", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("verify_claimed_by", sa.String(length=80), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("verify_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("verify_sent_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("verify_error", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_patient_email_verify_due_at"), ["verify_due_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("patient_email", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_email_verify_due_at"))
        batch_op.drop_column("verify_error")
        batch_op.drop_column("verify_sent_at")
        batch_op.drop_column("verify_attempts")
        batch_op.drop_column("verify_claimed_by")
        batch_op.drop_column("verify_lease_until")
        batch_op.drop_column("verify_due_at")
        batch_op.drop_column("undeliverable_reason")
        batch_op.drop_column("undeliverable_at")
