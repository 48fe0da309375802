"""policy matches (政策找人)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 21:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "policy_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_key", sa.String(length=24), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("employer_id", sa.Integer(), nullable=True),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("policy_version_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("trace", sa.Text(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("matched_at", sa.DateTime(), nullable=False),
        sa.Column("claim_deadline", sa.Date(), nullable=True),
        sa.Column("lapsed_at", sa.DateTime(), nullable=True),
        sa.Column("notified_at", sa.DateTime(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("circle_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_policy_matches_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], name=op.f("fk_policy_matches_city_id_cities")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_policy_matches_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_policy_matches_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_policy_matches_employer_id_employers")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f("fk_policy_matches_policy_id_policies")
        ),
        sa.ForeignKeyConstraint(
            ["policy_version_id"],
            ["policy_versions.id"],
            name=op.f("fk_policy_matches_policy_version_id_policy_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_policy_matches_resident_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["townships.id"], name=op.f("fk_policy_matches_township_id_townships")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_matches")),
        sa.UniqueConstraint("subject_key", "policy_version_id", name="uq_policy_matches_subject_key_version"),
    )
    with op.batch_alter_table("policy_matches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_matches_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_matches_city_id"), ["city_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_matches_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_matches_district_id"), ["district_id"], unique=False)
        batch_op.create_index("ix_policy_matches_employer_id_status", ["employer_id", "status"], unique=False)
        batch_op.create_index("ix_policy_matches_policy_id_status", ["policy_id", "status"], unique=False)
        batch_op.create_index("ix_policy_matches_resident_id_status", ["resident_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_matches_township_id"), ["township_id"], unique=False)


def downgrade():
    op.drop_table("policy_matches")
