"""backups, step progress

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "backups",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("volume_id", sa.String(length=36), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("size_gb", sa.Integer(), nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column("manifest", sa.String(length=255), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("created_operation_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("backups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_backups_volume_id"), ["volume_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_backups_parent_id"), ["parent_id"], unique=False)
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("backup_id", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_operations_backup_id"), ["backup_id"], unique=False)
    with op.batch_alter_table("operation_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("progress", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("operation_steps", schema=None) as batch_op:
        batch_op.drop_column("progress")
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operations_backup_id"))
        batch_op.drop_column("backup_id")
    with op.batch_alter_table("backups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_backups_parent_id"))
        batch_op.drop_index(batch_op.f("ix_backups_volume_id"))
    op.drop_table("backups")
