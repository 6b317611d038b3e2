"""token revocation, and an index for the audit listing (operations by creation time)

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("api_tokens", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_operations_created_at", "operations", ["created_at"])


def downgrade():
    op.drop_index("ix_operations_created_at", table_name="operations")
    with op.batch_alter_table("api_tokens") as batch:  # SQLite before 3.35 has no DROP COLUMN
        batch.drop_column("revoked_at")
