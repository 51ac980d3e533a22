"""whether a subscribed phone runs Aftercare as an installed app, and when it last said so

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 04:10:00.000000

On an iPhone push works only in the app on the Home Screen; elsewhere the clinic advises the
patient by it. Unknown (null) for phones that subscribed before the page told it.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.add_column(sa.Column("installed", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("installed_seen_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.drop_column("installed_seen_at")
        batch_op.drop_column("installed")
