"""seeking pauses on hire (résumé pause columns); indexes and a check for what ages in the ledger

Résumés record when and why they stopped looking for work (`seeking_paused_at`,
`seeking_paused_reason`: a hire pauses seeking). The daily re-evaluation finds residents who
crossed a working-age limit by `birth_date` (indexed), and households that moved away by their
`moved` visits (indexed by outcome). A key-group period may no longer end before it starts:
the periods that did (added and ended on one day, so never applied) are deleted first.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 21:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

PERIOD_IN_ORDER = sa.or_(
    sa.column('until').is_(None), sa.column('since').is_(None), sa.column('until') >= sa.column('since')
)


def upgrade():
    with op.batch_alter_table('resumes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seeking_paused_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('seeking_paused_reason', sa.String(length=16), nullable=True))

    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.create_index('ix_residents_birth_date', ['birth_date'], unique=False)

    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_outcome_household_id', ['outcome', 'household_id'], unique=False)

    key_groups = sa.table('resident_key_groups', sa.column('since', sa.Date()), sa.column('until', sa.Date()))
    op.execute(sa.delete(key_groups).where(key_groups.c.until < key_groups.c.since))
    with op.batch_alter_table('resident_key_groups', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_resident_key_groups_period'), PERIOD_IN_ORDER)


def downgrade():
    with op.batch_alter_table('resident_key_groups', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_resident_key_groups_period'), type_='check')

    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_outcome_household_id')

    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_index('ix_residents_birth_date')

    with op.batch_alter_table('resumes', schema=None) as batch_op:
        batch_op.drop_column('seeking_paused_reason')
        batch_op.drop_column('seeking_paused_at')
