"""indexes for the statistics' month-bounded reads of a district's pushes

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 00:55:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("pushes", schema=None) as batch_op:
        batch_op.create_index("ix_pushes_district_id_day", ["district_id", "day"], unique=False)


def downgrade():
    with op.batch_alter_table("pushes", schema=None) as batch_op:
        batch_op.drop_index("ix_pushes_district_id_day")
