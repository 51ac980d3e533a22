"""one push subscription per device, and none for unlinked devices

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 09:00:00.000000

A device that subscribed more than once keeps one subscription: the one still working, newest
first. Subscriptions of unlinked (revoked) devices, and any without a device, are removed: no
reminder may reach them.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

subscription = sa.table(
    "push_subscription",
    sa.column("id", sa.Integer),
    sa.column("device_id", sa.Integer),
    sa.column("created_at", sa.DateTime),
    sa.column("disabled_at", sa.DateTime),
)
device = sa.table("device", sa.column("id", sa.Integer), sa.column("revoked_at", sa.DateTime))


def upgrade():
    connection = op.get_bind()
    connection.execute(sa.delete(subscription).where(subscription.c.device_id.is_(None)))
    revoked = sa.select(device.c.id).where(device.c.revoked_at.is_not(None))
    connection.execute(sa.delete(subscription).where(subscription.c.device_id.in_(revoked)))
    # Per device, the one to keep: working before switched off, then newest.
    rows = connection.execute(
        sa.select(
            subscription.c.id,
            subscription.c.device_id,
            subscription.c.created_at,
            subscription.c.disabled_at,
        )
    ).all()
    best = {}
    for row in rows:
        rank = (row.disabled_at is None, row.created_at, row.id)
        if row.device_id not in best or rank > best[row.device_id][0]:
            best[row.device_id] = (rank, row.id)
    keep = {row_id for _, row_id in best.values()}
    extra = [row.id for row in rows if row.id not in keep]
    for start in range(0, len(extra), 500):
        connection.execute(
            sa.delete(subscription).where(subscription.c.id.in_(extra[start : start + 500]))
        )

    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_subscription_device_id"))
        batch_op.alter_column("device_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(
            batch_op.f("ix_push_subscription_device_id"), ["device_id"], unique=True
        )


def downgrade():
    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_subscription_device_id"))
        batch_op.alter_column("device_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_push_subscription_device_id"), ["device_id"], unique=False
        )
