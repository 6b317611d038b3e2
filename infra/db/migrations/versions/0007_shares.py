"""shares: per-environment shared directories and the hosts they are attached to

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "shares",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("env", sa.String(length=63), nullable=False),
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column("mount_point", sa.String(length=255), nullable=False),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_index("ix_shares_env", "shares", ["env"])
    op.create_table(
        "host_shares",
        sa.Column("host_id", sa.String(length=36), nullable=False),
        sa.Column("share_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["share_id"], ["shares.id"]),
        sa.PrimaryKeyConstraint("host_id", "share_id"),
    )


def downgrade():
    op.drop_table("host_shares")
    op.drop_index("ix_shares_env", table_name="shares")
    op.drop_table("shares")
