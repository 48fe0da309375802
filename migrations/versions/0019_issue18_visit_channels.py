"""a grid visit's channel: door, phone, station, online

Every visit so far was a door-to-door visit: the column is NOT NULL with the server default
'door', so the existing rows (and an insert that leaves it out) are door visits. Door-visit days
per worker now filter on the channel, so their index-only range (worker_id, visit_day) becomes
(worker_id, channel, visit_day); the new index is built before the old one goes.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 04:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=16), nullable=False, server_default="door"))
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_visits_worker_id_channel_visit_day", ["worker_id", "channel", "visit_day"], unique=False
        )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_worker_id_visit_day")


def downgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index("ix_visits_worker_id_visit_day", ["worker_id", "visit_day"], unique=False)
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_worker_id_channel_visit_day")
        batch_op.drop_column("channel")
