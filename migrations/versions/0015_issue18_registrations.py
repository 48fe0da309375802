"""unemployment and employment registrations (失业登记 / 就业登记)

One table for both kinds (their workflow, numbers, review queue and scoping are one), the
follow-ups of unemployment registrations, and the locked counters of registration numbers.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 04:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('registration_sequences',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('district_code', sa.String(length=12), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'district_code', 'year', name=op.f('pk_registration_sequences'))
    )
    op.create_table('registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('open_key', sa.String(length=40), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('entered_via', sa.String(length=16), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=True),
    sa.Column('reason_for_leaving', sa.String(length=200), nullable=True),
    sa.Column('last_employer_name', sa.String(length=128), nullable=True),
    sa.Column('last_employer_uscc', sa.String(length=18), nullable=True),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('wanted_work', sa.String(length=200), nullable=True),
    sa.Column('wants_training', sa.Boolean(), nullable=True),
    sa.Column('card_number_enc', sa.LargeBinary(), nullable=True),
    sa.Column('card_number_hmac', sa.String(length=64), nullable=True),
    sa.Column('card_number_hint', sa.String(length=32), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('reminded_for', sa.Date(), nullable=True),
    sa.Column('employment_kind', sa.String(length=16), nullable=True),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('employer_name', sa.String(length=128), nullable=True),
    sa.Column('employer_uscc', sa.String(length=18), nullable=True),
    sa.Column('contract_type', sa.String(length=16), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('work_description', sa.String(length=200), nullable=True),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('form_storage_name', sa.String(length=64), nullable=True),
    sa.Column('form_content_type', sa.String(length=100), nullable=True),
    sa.Column('form_name', sa.String(length=255), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_by', sa.String(length=16), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_note', sa.String(length=200), nullable=True),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('ending_reason', sa.String(length=24), nullable=True),
    sa.Column('ending_note', sa.String(length=200), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('township_id', sa.Integer(), nullable=True),
    sa.Column('circle_id', sa.Integer(), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_registrations_application_id_applications')),
    sa.ForeignKeyConstraint(['author_id'], ['accounts.id'], name=op.f('fk_registrations_author_id_accounts')),
    sa.ForeignKeyConstraint(['circle_id'], ['circles.id'], name=op.f('fk_registrations_circle_id_circles')),
    sa.ForeignKeyConstraint(['city_id'], ['cities.id'], name=op.f('fk_registrations_city_id_cities')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_registrations_community_id_communities')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_registrations_district_id_districts')),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_registrations_employer_id_employers')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['accounts.id'], name=op.f('fk_registrations_ended_by_id_accounts')),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_registrations_resident_id_residents')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['accounts.id'], name=op.f('fk_registrations_reviewed_by_id_accounts')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_registrations_township_id_townships')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrations')),
    sa.UniqueConstraint('author_id', 'client_id', name='uq_registrations_author_id_client_id'),
    sa.UniqueConstraint('form_storage_name', name=op.f('uq_registrations_form_storage_name')),
    sa.UniqueConstraint('number', name=op.f('uq_registrations_number')),
    sa.UniqueConstraint('open_key', name=op.f('uq_registrations_open_key'))
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registrations_card_number_hmac'), ['card_number_hmac'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrations_circle_id'), ['circle_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrations_city_id'), ['city_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrations_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrations_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrations_employer_id'), ['employer_id'], unique=False)
        batch_op.create_index('ix_registrations_kind_valid_until', ['kind', 'valid_until'], unique=False)
        batch_op.create_index('ix_registrations_resident_id_id', ['resident_id', 'id'], unique=False)
        batch_op.create_index('ix_registrations_status_kind', ['status', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrations_township_id'), ['township_id'], unique=False)

    op.create_table('registration_follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['accounts.id'], name=op.f('fk_registration_follow_ups_author_id_accounts')),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_registration_follow_ups_registration_id_registrations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_follow_ups')),
    sa.UniqueConstraint('author_id', 'client_id', name='uq_registration_follow_ups_author_id_client_id')
    )
    with op.batch_alter_table('registration_follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_follow_ups_registration_id'), ['registration_id'], unique=False)


def downgrade():
    with op.batch_alter_table('registration_follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_follow_ups_registration_id'))

    op.drop_table('registration_follow_ups')
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registrations_township_id'))
        batch_op.drop_index('ix_registrations_status_kind')
        batch_op.drop_index('ix_registrations_resident_id_id')
        batch_op.drop_index('ix_registrations_kind_valid_until')
        batch_op.drop_index(batch_op.f('ix_registrations_employer_id'))
        batch_op.drop_index(batch_op.f('ix_registrations_district_id'))
        batch_op.drop_index(batch_op.f('ix_registrations_community_id'))
        batch_op.drop_index(batch_op.f('ix_registrations_city_id'))
        batch_op.drop_index(batch_op.f('ix_registrations_circle_id'))
        batch_op.drop_index(batch_op.f('ix_registrations_card_number_hmac'))

    op.drop_table('registrations')
    op.drop_table('registration_sequences')
