"""job board: jobs.updated_at index (the board's periodic recheck, the GEO rebuild's catch-up)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 10:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_updated_at', ['updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_updated_at')
