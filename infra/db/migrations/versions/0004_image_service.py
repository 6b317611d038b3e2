"""image service: minimums, protection, virtual size, status reason; 64-bit sizes

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.alter_column("size", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=True)
        batch_op.add_column(sa.Column("min_disk_gb", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("min_ram_mb", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("protected", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("virtual_size", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("status_reason", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("status_message", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("status_message")
        batch_op.drop_column("status_reason")
        batch_op.drop_column("virtual_size")
        batch_op.drop_column("protected")
        batch_op.drop_column("min_ram_mb")
        batch_op.drop_column("min_disk_gb")
        batch_op.alter_column("size", existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=True)
