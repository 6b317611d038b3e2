"""dns_records: the DNS record sets hostflow owns

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

LIVE = sa.text("deleted_at IS NULL")


def upgrade():
    op.create_table(
        "dns_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("fqdn", sa.String(length=253), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=253), nullable=False),
        sa.Column("ttl", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dns_records_fqdn", "dns_records", ["fqdn"])
    op.create_index("ix_dns_records_host_id", "dns_records", ["host_id"])
    op.create_index("uq_dns_records_live", "dns_records", ["fqdn", "type"], unique=True,
                    sqlite_where=LIVE, postgresql_where=LIVE)


def downgrade():
    op.drop_index("uq_dns_records_live", table_name="dns_records")
    op.drop_index("ix_dns_records_host_id", table_name="dns_records")
    op.drop_index("ix_dns_records_fqdn", table_name="dns_records")
    op.drop_table("dns_records")
