"""journal entries a patient shared with the care team, and the clinic's journal questions

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 03:00:00.000000

Only entries the patient shares are kept; private entries never reach the server.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "shared_journal_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("mood", sa.Integer(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.Column("shared_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_shared_journal_entry_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_journal_entry")),
        sa.UniqueConstraint(
            "patient_id", "client_id", name=op.f("uq_shared_journal_entry_patient_id")
        ),
    )
    op.create_index(
        "ix_shared_journal_entry_patient_id_written_at",
        "shared_journal_entry",
        ["patient_id", "written_at"],
        unique=False,
    )
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.add_column(sa.Column("journal_prompts", sa.JSON(), nullable=True))


def downgrade():
    # Dropped in place (SQLite 3.35 and later can): rebuilding the clinic table, as a batch
    # would, fails on SQLite while the clinic's patients refer to it.
    op.drop_column("clinic", "journal_prompts")
    op.drop_index(
        "ix_shared_journal_entry_patient_id_written_at", table_name="shared_journal_entry"
    )
    op.drop_table("shared_journal_entry")
