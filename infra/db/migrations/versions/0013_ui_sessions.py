"""dashboard logins kept server-side: live sessions (a logout deletes its row, so a copied
cookie is refused) and recent failed logins per client address (the login limit)

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ui_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ui_sessions_expires_at", "ui_sessions", ["expires_at"])
    op.create_table(
        "ui_login_failures",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ui_login_failures_address_at", "ui_login_failures", ["address", "at"])
    op.create_index("ix_ui_login_failures_at", "ui_login_failures", ["at"])


def downgrade():
    op.drop_index("ix_ui_login_failures_at", table_name="ui_login_failures")
    op.drop_index("ix_ui_login_failures_address_at", table_name="ui_login_failures")
    op.drop_table("ui_login_failures")
    op.drop_index("ix_ui_sessions_expires_at", table_name="ui_sessions")
    op.drop_table("ui_sessions")
