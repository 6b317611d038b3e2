"""a host's cloud-init user-data (base64, as the allocation gave it), kept for the config
drive of its life; hosts recorded before have none

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_data", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("hosts", schema=None) as batch_op:
        batch_op.drop_column("user_data")
