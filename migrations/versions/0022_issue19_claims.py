"""benefit claims with staged review

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 21:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_key", sa.String(length=24), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("employer_id", sa.Integer(), nullable=True),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("policy_version_id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("open_key", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("trace", sa.Text(), nullable=False),
        sa.Column("all_verified", sa.Boolean(), nullable=False),
        sa.Column("estimated_fen", sa.BigInteger(), nullable=True),
        sa.Column("approved_fen", sa.BigInteger(), nullable=True),
        sa.Column("bank_name", sa.String(length=64), nullable=True),
        sa.Column("bank_account_enc", sa.LargeBinary(), nullable=True),
        sa.Column("bank_account_hint", sa.String(length=32), nullable=True),
        sa.Column("account_holder", sa.String(length=64), nullable=True),
        sa.Column("stage_due_on", sa.Date(), nullable=True),
        sa.Column("notice_from", sa.Date(), nullable=True),
        sa.Column("notice_until", sa.Date(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("paid_at", sa.DateTime(), nullable=True),
        sa.Column("payment_reference", sa.String(length=64), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("circle_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["accounts.id"], name=op.f("fk_claims_author_id_accounts")),
        sa.ForeignKeyConstraint(["circle_id"], ["circles.id"], name=op.f("fk_claims_circle_id_circles")),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], name=op.f("fk_claims_city_id_cities")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_claims_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_claims_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_claims_employer_id_employers")
        ),
        sa.ForeignKeyConstraint(
            ["match_id"], ["policy_matches.id"], name=op.f("fk_claims_match_id_policy_matches")
        ),
        sa.ForeignKeyConstraint(["policy_id"], ["policies.id"], name=op.f("fk_claims_policy_id_policies")),
        sa.ForeignKeyConstraint(
            ["policy_version_id"],
            ["policy_versions.id"],
            name=op.f("fk_claims_policy_version_id_policy_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_claims_resident_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["townships.id"], name=op.f("fk_claims_township_id_townships")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("author_id", "client_id", name="uq_claims_author_id_client_id"),
        sa.UniqueConstraint("open_key", name=op.f("uq_claims_open_key")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_city_id"), ["city_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_district_id"), ["district_id"], unique=False)
        batch_op.create_index("ix_claims_employer_id", ["employer_id"], unique=False)
        batch_op.create_index("ix_claims_policy_id_status", ["policy_id", "status"], unique=False)
        batch_op.create_index("ix_claims_resident_id", ["resident_id"], unique=False)
        batch_op.create_index("ix_claims_status_stage_due_on", ["status", "stage_due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_township_id"), ["township_id"], unique=False)
    op.create_table(
        "claim_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("storage_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("material", sa.String(length=64), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_attachments_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["accounts.id"], name=op.f("fk_claim_attachments_uploaded_by_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_attachments")),
        sa.UniqueConstraint("storage_name", name=op.f("uq_claim_attachments_storage_name")),
    )
    with op.batch_alter_table("claim_attachments", schema=None) as batch_op:
        batch_op.create_index("ix_claim_attachments_claim_id", ["claim_id"], unique=False)
    op.create_table(
        "claim_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["accounts.id"], name=op.f("fk_claim_events_actor_id_accounts")
        ),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_claim_events_claim_id_claims")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_events")),
    )
    with op.batch_alter_table("claim_events", schema=None) as batch_op:
        batch_op.create_index("ix_claim_events_claim_id", ["claim_id"], unique=False)
    op.create_table(
        "claim_hires",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("key_groups", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["claim_id"], ["claims.id"], name=op.f("fk_claim_hires_claim_id_claims")),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_claim_hires_registration_id_registrations"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_claim_hires_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_hires")),
        sa.UniqueConstraint("claim_id", "resident_id", name="uq_claim_hires_claim_id_resident_id"),
    )
    op.create_table(
        "claim_objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("raised_by", sa.String(length=64), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resolution", sa.String(length=255), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claims.id"], name=op.f("fk_claim_objections_claim_id_claims")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["accounts.id"], name=op.f("fk_claim_objections_recorded_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["accounts.id"], name=op.f("fk_claim_objections_resolved_by_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_objections")),
    )
    with op.batch_alter_table("claim_objections", schema=None) as batch_op:
        batch_op.create_index("ix_claim_objections_claim_id", ["claim_id"], unique=False)


def downgrade():
    op.drop_table("claim_objections")
    op.drop_table("claim_hires")
    op.drop_table("claim_events")
    op.drop_table("claim_attachments")
    op.drop_table("claims")
