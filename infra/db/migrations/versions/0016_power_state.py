"""hosts carry the power state observed from libvirt, and its changes are kept
(power_events); a node's unowned domains are kept on its record; a host may ask to be
restarted whenever its guest stops (restart_policy), counted with backoff

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("power_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("power_state_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("power_state_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("restart_policy", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("restart_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("restarted_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("hypervisors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unowned_domains", sa.JSON(), nullable=True))
    op.create_table(
        "power_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("host_id", sa.String(length=36), nullable=False),
        sa.Column("before", sa.String(length=16), nullable=True),
        sa.Column("after", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("power_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_power_events_host_id"), ["host_id"], unique=False)


def downgrade():
    with op.batch_alter_table("power_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_power_events_host_id"))
    op.drop_table("power_events")
    with op.batch_alter_table("hypervisors", schema=None) as batch_op:
        batch_op.drop_column("unowned_domains")
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.drop_column("restarted_at")
        batch_op.drop_column("restart_count")
        batch_op.drop_column("restart_policy")
        batch_op.drop_column("power_state_by")
        batch_op.drop_column("power_state_at")
        batch_op.drop_column("power_state")
