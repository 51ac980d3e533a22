"""clinician sessions kept on the server, so that signing out ends them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09 09:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "clinician_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=80), nullable=False),
        sa.Column("signed_in_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["clinician.id"],
            name=op.f("fk_clinician_session_clinician_id_clinician"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinician_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_clinician_session_token_hash")),
    )
    with op.batch_alter_table("clinician_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_clinician_session_clinician_id"), ["clinician_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("clinician_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clinician_session_clinician_id"))

    op.drop_table("clinician_session")
