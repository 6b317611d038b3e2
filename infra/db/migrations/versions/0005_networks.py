"""networks: one record per L2/L3 network (traffic class, segmentation, subnet)

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "networks",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("traffic_class", sa.String(length=32), nullable=False),
        sa.Column("env", sa.String(length=63), nullable=True),
        sa.Column("bridge", sa.String(length=15), nullable=False),
        sa.Column("segmentation", sa.String(length=8), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=True),
        sa.Column("underlay", sa.String(length=15), nullable=True),
        sa.Column("peers", sa.JSON(), nullable=False),
        sa.Column("subnet", sa.String(length=49), nullable=False),
        sa.Column("gateway", sa.String(length=45), nullable=True),
        sa.Column("reserved", sa.JSON(), nullable=False),
        sa.Column("mtu", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
        sa.UniqueConstraint("bridge"),
    )


def downgrade():
    op.drop_table("networks")
