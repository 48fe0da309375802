"""certified key groups with evidence and validity

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 04:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

PLACES = ("community", "township", "circle", "district", "city")
PLACE_TABLES = {
    "community": "communities",
    "township": "townships",
    "circle": "circles",
    "district": "districts",
    "city": "cities",
}


def upgrade():
    op.create_table(
        "certifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("key_group", sa.String(length=32), nullable=False),
        sa.Column("graduation_year", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.Column("expired_at", sa.DateTime(), nullable=True),
        *(sa.Column(f"{place}_id", sa.Integer(), nullable=True) for place in PLACES),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_certifications_resident_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["accounts.id"], name=op.f("fk_certifications_author_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["accounts.id"], name=op.f("fk_certifications_reviewer_id_accounts")
        ),
        *(
            sa.ForeignKeyConstraint(
                [f"{place}_id"],
                [f"{PLACE_TABLES[place]}.id"],
                name=op.f(f"fk_certifications_{place}_id_{PLACE_TABLES[place]}"),
            )
            for place in PLACES
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certifications")),
        sa.UniqueConstraint("author_id", "client_id", name="uq_certifications_author_id_client_id"),
    )
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        for place in PLACES:
            batch_op.create_index(batch_op.f(f"ix_certifications_{place}_id"), [f"{place}_id"], unique=False)
        batch_op.create_index(
            "ix_certifications_resident_id_key_group", ["resident_id", "key_group"], unique=False
        )
        batch_op.create_index("ix_certifications_status_valid_until", ["status", "valid_until"])

    op.create_table(
        "certification_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certification_id", sa.Integer(), nullable=False),
        sa.Column("storage_name", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=128), nullable=False),
        sa.Column("content_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_certification_evidence_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["accounts.id"],
            name=op.f("fk_certification_evidence_uploaded_by_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certification_evidence")),
        sa.UniqueConstraint("certification_id", "sha256", name="uq_certification_evidence_certification_id"),
    )
    with op.batch_alter_table("certification_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certification_evidence_certification_id"), ["certification_id"], unique=False
        )

    with op.batch_alter_table("resident_key_groups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("certification_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_resident_key_groups_certification_id_certifications"),
            "certifications",
            ["certification_id"],
            ["id"],
        )
        batch_op.add_column(sa.Column("registration_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_resident_key_groups_registration_id_registrations"),
            "registrations",
            ["registration_id"],
            ["id"],
        )
    # verified_by_id now means "certified on evidence": a group staff set by hand before this
    # rested on no evidence, so it is no longer shown as verified (issue 18).
    op.execute(sa.text("UPDATE resident_key_groups SET verified_by_id = NULL"))


def downgrade():
    with op.batch_alter_table("resident_key_groups", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_resident_key_groups_registration_id_registrations"), type_="foreignkey"
        )
        batch_op.drop_column("registration_id")
        batch_op.drop_constraint(
            batch_op.f("fk_resident_key_groups_certification_id_certifications"), type_="foreignkey"
        )
        batch_op.drop_column("certification_id")

    with op.batch_alter_table("certification_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certification_evidence_certification_id"))
    op.drop_table("certification_evidence")

    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_index("ix_certifications_status_valid_until")
        batch_op.drop_index("ix_certifications_resident_id_key_group")
        for place in reversed(PLACES):
            batch_op.drop_index(batch_op.f(f"ix_certifications_{place}_id"))
    op.drop_table("certifications")
