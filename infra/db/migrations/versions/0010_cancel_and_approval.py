"""cancellation requests and approvals on operations; state wide enough for awaiting_approval

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COLUMNS = (
    ("cancel_requested_at", sa.DateTime(timezone=True)),
    ("cancel_requested_by", sa.String(255)),
    ("approval_reason", sa.Text()),
    ("approval_deadline", sa.DateTime(timezone=True)),
    ("approval_decision", sa.String(16)),
    ("approval_by", sa.String(255)),
    ("approval_note", sa.Text()),
    ("deployment_run_id", sa.String(36)),
)


def upgrade():
    with op.batch_alter_table("operations") as batch:
        batch.alter_column("state", type_=sa.String(24), existing_type=sa.String(16))
        for name, type_ in COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade():
    with op.batch_alter_table("operations") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
        batch.alter_column("state", type_=sa.String(16), existing_type=sa.String(24))
