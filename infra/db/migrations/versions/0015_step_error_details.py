"""a failed step keeps its error's details (e.g. a guest's console tail), not only its
code and message

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("operation_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error_details", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("operation_steps", schema=None) as batch_op:
        batch_op.drop_column("error_details")
