"""the patient's phone number, so the clinic can call back from an alert

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 23:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_column("phone")
