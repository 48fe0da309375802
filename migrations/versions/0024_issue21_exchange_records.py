"""provincial exchange: the records waiting to be delivered to the province (a transactional outbox)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 01:25:11.170486

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "exchange_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("last_code", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.Column("province_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_records")),
        sa.UniqueConstraint("idempotency_key", name="uq_exchange_records_idempotency_key"),
    )
    with op.batch_alter_table("exchange_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exchange_records_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index("ix_exchange_records_subject_id", ["subject", "id"], unique=False)


def downgrade():
    op.drop_table("exchange_records")
