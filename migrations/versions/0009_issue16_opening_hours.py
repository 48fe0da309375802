"""stations' structured opening hours and holidays; out-of-hours visits have no queue number

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opening_hours', sa.Text(), nullable=True))

    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.alter_column('queue_number', existing_type=sa.Integer(), nullable=True)


def downgrade():
    # An out-of-hours visit has no number to restore: it goes (its station's counts drop by it).
    op.execute("DELETE FROM check_ins WHERE queue_number IS NULL")
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.alter_column('queue_number', existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_column('opening_hours')
