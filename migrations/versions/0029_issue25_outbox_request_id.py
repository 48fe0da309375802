"""scale-out and operations: an outbox row keeps the id of the request that wrote it

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 20:50:00.000000

Additive and nullable (online-safe on a cluster: docs/OPERATIONS.md, "Migrations on a cluster"):
rows written before it have none, as their jobs had none.
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("request_id")
