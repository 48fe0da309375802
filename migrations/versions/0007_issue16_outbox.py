"""push outbox (tasks written in the transaction that wants them) — filled in by issue 16

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 21:30:00

"""
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
