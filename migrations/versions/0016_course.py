"""the treatment course, the review-for-a-booster list, and each clinic's threshold choices

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-20 09:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "treatment_course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("series_count", sa.Integer(), nullable=False),
        sa.Column("target_dates", sa.JSON(), nullable=False),
        sa.Column("maintenance", sa.String(length=20), nullable=False),
        sa.Column("booster_every_weeks", sa.Integer(), nullable=True),
        sa.Column("planned_by_id", sa.Integer(), nullable=True),
        sa.Column("planned_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_treatment_course_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_treatment_course_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["planned_by_id"],
            ["clinician.id"],
            name=op.f("fk_treatment_course_planned_by_id_clinician"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_course")),
        sa.UniqueConstraint("patient_id", name=op.f("uq_treatment_course_patient_id")),
    )
    with op.batch_alter_table("treatment_course", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_treatment_course_clinic_id"), ["clinic_id"], unique=False
        )

    op.create_table(
        "booster_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("instrument_id", sa.String(length=40), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("lowest", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_booster_review_appointment_id_appointment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_booster_review_clinic_id_clinic")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["clinician.id"],
            name=op.f("fk_booster_review_decided_by_id_clinician"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_booster_review_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["questionnaire_response.id"],
            name=op.f("fk_booster_review_response_id_questionnaire_response"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booster_review")),
    )
    with op.batch_alter_table("booster_review", schema=None) as batch_op:
        batch_op.create_index(
            "ix_booster_review_clinic_id_decided_at_created_at",
            ["clinic_id", "decided_at", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_booster_review_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "threshold_choice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.String(length=40), nullable=False),
        sa.Column("meaningful", sa.Integer(), nullable=False),
        sa.Column("chosen_by_id", sa.Integer(), nullable=True),
        sa.Column("chosen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chosen_by_id"],
            ["clinician.id"],
            name=op.f("fk_threshold_choice_chosen_by_id_clinician"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinic.id"], name=op.f("fk_threshold_choice_clinic_id_clinic")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_threshold_choice")),
        sa.UniqueConstraint(
            "clinic_id", "instrument_id", name=op.f("uq_threshold_choice_clinic_id")
        ),
    )


def downgrade():
    op.drop_table("threshold_choice")
    op.drop_table("booster_review")
    op.drop_table("treatment_course")
