"""share owners: a share belongs to a project (and an environment); the shares recorded
before belong to `default`

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.add_column(sa.Column("project", sa.String(length=63), nullable=False, server_default="default"))
        batch_op.create_index("ix_shares_project", ["project"])


def downgrade():
    with op.batch_alter_table("shares", schema=None) as batch_op:
        batch_op.drop_index("ix_shares_project")
        batch_op.drop_column("project")
