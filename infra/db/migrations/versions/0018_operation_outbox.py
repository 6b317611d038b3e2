"""an outbox of operations to queue: written in the transaction that makes an
operation queued, relayed to the flow runners' queue until a runner takes it

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "operation_outbox",
        sa.Column("operation_id", sa.String(length=36), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("gate", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["operation_id"], ["operations.id"]),
        sa.PrimaryKeyConstraint("operation_id", "attempt"),
    )
    with op.batch_alter_table("operation_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_operation_outbox_created_at"), ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("operation_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operation_outbox_created_at"))
    op.drop_table("operation_outbox")
