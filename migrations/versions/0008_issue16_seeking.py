"""seeking pauses on hire; key-group and zero-employment re-evaluation — filled in by issue 16

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 21:30:00

"""
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
