"""versioned consent documents, acceptances and data requests

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 04:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "consent_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.String(length=255), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["accounts.id"], name=op.f("fk_consent_documents_published_by_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_documents")),
        sa.UniqueConstraint("purpose", "version", name="uq_consent_documents_purpose_version"),
    )
    with op.batch_alter_table("consent_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_documents_published_at"), ["published_at"], unique=False)

    op.create_table(
        "consent_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.Column("client_version", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_consent_records_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["consent_documents.id"],
            name=op.f("fk_consent_records_document_id_consent_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
    )
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_records_account_id_purpose_id", ["account_id", "purpose", "id"], unique=False
        )

    op.create_table(
        "deletion_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("openid_hmac", sa.String(length=64), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("processed_at", sa.DateTime(), nullable=True),
        sa.Column("ledger_kept", sa.Boolean(), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("ledger_erased_at", sa.DateTime(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_deletion_requests_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_deletion_requests_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deletion_requests")),
        sa.UniqueConstraint("account_id", name=op.f("uq_deletion_requests_account_id")),
    )
    with op.batch_alter_table("deletion_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deletion_requests_openid_hmac"), ["openid_hmac"], unique=False)
        batch_op.create_index(
            "ix_deletion_requests_status_retain_until", ["status", "retain_until"], unique=False
        )


def downgrade():
    with op.batch_alter_table("deletion_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_deletion_requests_status_retain_until")
        batch_op.drop_index(batch_op.f("ix_deletion_requests_openid_hmac"))
    op.drop_table("deletion_requests")
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_records_account_id_purpose_id")
    op.drop_table("consent_records")
    with op.batch_alter_table("consent_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_documents_published_at"))
    op.drop_table("consent_documents")
