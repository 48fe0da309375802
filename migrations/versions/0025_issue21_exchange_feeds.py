"""provincial exchange: jobs and employers from the province, key-group lists back, reconciliation

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 01:45:59.765412

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "exchange_cursors",
        sa.Column("feed", sa.String(length=32), nullable=False),
        sa.Column("cursor", sa.String(length=128), nullable=True),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("feed", name=op.f("pk_exchange_cursors")),
    )
    op.create_table(
        "exchange_reconciliations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("ours", sa.Integer(), nullable=False),
        sa.Column("theirs", sa.Integer(), nullable=False),
        sa.Column("missing_there", sa.Text(), nullable=False),
        sa.Column("unknown_here", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_reconciliations")),
        sa.UniqueConstraint("day", "record_type", name="uq_exchange_reconciliations_day_record_type"),
    )
    op.create_table(
        "province_list_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.String(length=64), nullable=False),
        sa.Column("entry_key", sa.String(length=64), nullable=False),
        sa.Column("key_group", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("id_number_enc", sa.LargeBinary(), nullable=True),
        sa.Column("id_number_hmac", sa.String(length=64), nullable=True),
        sa.Column("id_number_hint", sa.String(length=24), nullable=True),
        sa.Column("address", sa.String(length=255), nullable=True),
        sa.Column("community_code", sa.String(length=12), nullable=True),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("circle_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_province_list_entries_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["city_id"], ["cities.id"], name=op.f("fk_province_list_entries_city_id_cities")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_province_list_entries_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_province_list_entries_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_province_list_entries_resident_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["accounts.id"], name=op.f("fk_province_list_entries_resolved_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["townships.id"], name=op.f("fk_province_list_entries_township_id_townships")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_province_list_entries")),
        sa.UniqueConstraint("list_id", "entry_key", name="uq_province_list_entries_list_id_entry_key"),
    )
    with op.batch_alter_table("province_list_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_province_list_entries_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_province_list_entries_city_id"), ["city_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_province_list_entries_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_province_list_entries_district_id"), ["district_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_province_list_entries_id_number_hmac"), ["id_number_hmac"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_province_list_entries_resident_id"), ["resident_id"], unique=False
        )
        batch_op.create_index(
            "ix_province_list_entries_status_community_id", ["status", "community_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_province_list_entries_township_id"), ["township_id"], unique=False
        )

    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), server_default="local", nullable=False))

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), server_default="local", nullable=False))
        batch_op.add_column(sa.Column("province_id", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_jobs_province_id"), ["province_id"])


def downgrade():
    # Tables dropped whole (MariaDB refuses to drop an index a foreign key still needs).
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint("uq_jobs_province_id", type_="unique")
        batch_op.drop_column("province_id")
        batch_op.drop_column("source")
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.drop_column("source")
    op.drop_table("province_list_entries")
    op.drop_table("exchange_reconciliations")
    op.drop_table("exchange_cursors")
