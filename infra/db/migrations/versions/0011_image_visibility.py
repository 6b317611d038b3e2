"""image owners and visibility: the owning project, private / shared / public, and the
projects a shared image is shared with; the images recorded before are public, owned by
`default` (everyone went on seeing them)

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.add_column(sa.Column("project", sa.String(length=63), nullable=False, server_default="default"))
        batch_op.add_column(sa.Column("visibility", sa.String(length=16), nullable=False, server_default="public"))
        batch_op.add_column(sa.Column("shared_with", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.create_index("ix_images_project", ["project"])


def downgrade():
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.drop_index("ix_images_project")
        batch_op.drop_column("shared_with")
        batch_op.drop_column("visibility")
        batch_op.drop_column("project")
