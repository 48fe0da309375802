"""performance round two: pushes are claimed a batch at a time, by a claim token

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 10:30:00.000000

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pushes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("pushes", schema=None) as batch_op:
        batch_op.drop_column("claim_token")
