"""stations' opening hours and holidays — filled in by issue 16

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 21:30:00

"""
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
