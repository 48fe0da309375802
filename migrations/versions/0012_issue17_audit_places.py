"""audit events carry the place they belong to

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 23:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

PLACE_COLUMNS = ('community_id', 'township_id', 'circle_id', 'district_id', 'city_id')

# From a staff account (alias a) placed at each level: the joins to its place and the value of
# each place column (levels below the account's stay NULL), as services/people/audit.py does.
STAFF_PLACES = {
    'community': (
        'JOIN communities c ON c.id = a.scope_id JOIN townships t ON t.id = c.township_id'
        ' JOIN districts d ON d.id = t.district_id',
        {'community_id': 'c.id', 'township_id': 't.id', 'circle_id': 'c.circle_id',
         'district_id': 'd.id', 'city_id': 'd.city_id'},
    ),
    'township': (
        'JOIN townships t ON t.id = a.scope_id JOIN districts d ON d.id = t.district_id',
        {'township_id': 't.id', 'circle_id': 't.circle_id', 'district_id': 'd.id', 'city_id': 'd.city_id'},
    ),
    'circle': (
        'JOIN circles ci ON ci.id = a.scope_id JOIN districts d ON d.id = ci.district_id',
        {'circle_id': 'ci.id', 'district_id': 'd.id', 'city_id': 'd.city_id'},
    ),
    'district': ('JOIN districts d ON d.id = a.scope_id', {'district_id': 'd.id', 'city_id': 'd.city_id'}),
    'city': ('', {'city_id': 'a.scope_id'}),
}


def _staff_place(key: str, where: str) -> list[str]:
    """UPDATEs placing events at the place of the staff account whose id is in column `key`."""
    statements = []
    for kind, (joins, values) in STAFF_PLACES.items():
        sets = ', '.join(
            f'{column} = (SELECT {values[column]} FROM accounts a {joins} WHERE a.id = audit_events.{key})'
            for column in values
        )
        statements.append(
            f'UPDATE audit_events SET {sets} WHERE {where} AND EXISTS '
            f"(SELECT 1 FROM accounts a WHERE a.id = audit_events.{key} AND a.scope_kind = '{kind}')"
        )
    return statements


def _row_place(table: str, match: str, where: str) -> str:
    """An UPDATE copying the place columns of a `table` row (alias r) found by `match`."""
    sets = ', '.join(
        f'{column} = (SELECT r.{column} FROM {table} r WHERE {match})' for column in PLACE_COLUMNS
    )
    return f'UPDATE audit_events SET {sets} WHERE {where} AND EXISTS (SELECT 1 FROM {table} r WHERE {match})'


def backfill_statements() -> list[str]:
    """The UPDATEs that place events written before this revision (plain SQL: SQLite and MariaDB).

    The rule of record(): an event about a resident or household is placed where that is; else
    where its actor is (a staff account's place, a resident's or an employer's); an event without
    an actor about a staff account (one made on the command line) where that account is. Later
    statements win, so the object rules run last. An unknown actor stays without a place.
    """
    return [
        *_staff_place('actor_id', 'audit_events.actor_id IS NOT NULL'),
        _row_place('residents', 'r.account_id = audit_events.actor_id', 'audit_events.actor_id IS NOT NULL'),
        _row_place('employers', 'r.account_id = audit_events.actor_id', 'audit_events.actor_id IS NOT NULL'),
        *_staff_place('object_id', "audit_events.actor_id IS NULL AND audit_events.object_type = 'account'"),
        _row_place('residents', 'r.id = audit_events.object_id', "audit_events.object_type = 'resident'"),
        _row_place('households', 'r.id = audit_events.object_id', "audit_events.object_type = 'household'"),
    ]


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        for column in PLACE_COLUMNS:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
        batch_op.create_index('ix_audit_events_circle_id_id', ['circle_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_events_district_id_id', ['district_id', 'id'], unique=False)

    for statement in backfill_statements():
        op.execute(statement)


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_district_id_id')
        batch_op.drop_index('ix_audit_events_circle_id_id')
        for column in reversed(PLACE_COLUMNS):
            batch_op.drop_column(column)
