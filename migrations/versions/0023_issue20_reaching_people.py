"""reaching people: SMS channel on pushes, notices, placement follow-ups, planned visits, staff training

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 00:05:32.770955

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sms_opt_outs",
        sa.Column("phone_hmac", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("phone_hmac", name=op.f("pk_sms_opt_outs")),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("place_kind", sa.String(length=16), nullable=False),
        sa.Column("place_code", sa.String(length=32), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("audience_value", sa.String(length=32), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("attachment_path", sa.String(length=255), nullable=True),
        sa.Column("attachment_name", sa.String(length=128), nullable=True),
        sa.Column("attachment_type", sa.String(length=64), nullable=True),
        sa.Column("attachment_size", sa.Integer(), nullable=True),
        sa.Column("attachment_sha256", sa.String(length=64), nullable=True),
        sa.Column("push", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("review_note", sa.String(length=255), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("withdraw_reason", sa.String(length=255), nullable=True),
        sa.Column("pushed_at", sa.DateTime(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("circle_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["accounts.id"], name=op.f("fk_notices_author_id_accounts")),
        sa.ForeignKeyConstraint(["circle_id"], ["circles.id"], name=op.f("fk_notices_circle_id_circles")),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], name=op.f("fk_notices_city_id_cities")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_notices_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_notices_district_id_districts")
        ),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_notices_event_id_events")),
        sa.ForeignKeyConstraint(["policy_id"], ["policies.id"], name=op.f("fk_notices_policy_id_policies")),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["accounts.id"], name=op.f("fk_notices_reviewer_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["townships.id"], name=op.f("fk_notices_township_id_townships")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("author_id", "client_id", name="uq_notices_author_id_client_id"),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notices_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notices_city_id"), ["city_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notices_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notices_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notices_published_at"), ["published_at"], unique=False)
        batch_op.create_index("ix_notices_status_valid_until", ["status", "valid_until"], unique=False)
        batch_op.create_index(batch_op.f("ix_notices_township_id"), ["township_id"], unique=False)

    op.create_table(
        "placement_follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("source_type", sa.String(length=24), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=True),
        sa.Column("employer_name", sa.String(length=128), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("job_kind", sa.String(length=16), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("stage_days", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=True),
        sa.Column("task_at", sa.DateTime(), nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("left_reason", sa.String(length=16), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answer_channel", sa.String(length=8), nullable=True),
        sa.Column("stop_reason", sa.String(length=32), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("circle_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["accounts.id"], name=op.f("fk_placement_follow_ups_answered_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_placement_follow_ups_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["city_id"], ["cities.id"], name=op.f("fk_placement_follow_ups_city_id_cities")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_placement_follow_ups_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_placement_follow_ups_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_placement_follow_ups_employer_id_employers")
        ),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_placement_follow_ups_job_id_jobs")),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_placement_follow_ups_resident_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["townships.id"], name=op.f("fk_placement_follow_ups_township_id_townships")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement_follow_ups")),
        sa.UniqueConstraint("source_type", "source_id", "stage_days", name="uq_placement_follow_ups_source"),
    )
    with op.batch_alter_table("placement_follow_ups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_placement_follow_ups_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_placement_follow_ups_city_id"), ["city_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_placement_follow_ups_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_placement_follow_ups_district_id"), ["district_id"], unique=False
        )
        batch_op.create_index("ix_placement_follow_ups_employer_id", ["employer_id"], unique=False)
        batch_op.create_index("ix_placement_follow_ups_resident_id", ["resident_id"], unique=False)
        batch_op.create_index("ix_placement_follow_ups_status_due_on", ["status", "due_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_placement_follow_ups_township_id"), ["township_id"], unique=False
        )

    op.create_table(
        "planned_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("planned_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("circle_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_planned_visits_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], name=op.f("fk_planned_visits_city_id_cities")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_planned_visits_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_planned_visits_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_planned_visits_household_id_households")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["townships.id"], name=op.f("fk_planned_visits_township_id_townships")
        ),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_planned_visits_visit_id_visits")),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["accounts.id"], name=op.f("fk_planned_visits_worker_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_visits")),
        sa.UniqueConstraint("worker_id", "client_id", name="uq_planned_visits_worker_id_client_id"),
    )
    with op.batch_alter_table("planned_visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_planned_visits_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_planned_visits_city_id"), ["city_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_planned_visits_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_planned_visits_district_id"), ["district_id"], unique=False)
        batch_op.create_index(
            "ix_planned_visits_household_id_status", ["household_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_planned_visits_township_id"), ["township_id"], unique=False)

    op.create_table(
        "notice_reads",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_notice_reads_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_notice_reads_notice_id_notices")
        ),
        sa.PrimaryKeyConstraint("notice_id", "account_id", name=op.f("pk_notice_reads")),
    )
    with op.batch_alter_table("notice_reads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_reads_account_id"), ["account_id"], unique=False)

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("audience", sa.String(length=16), nullable=False, server_default="everyone")
        )
        batch_op.add_column(sa.Column("credit_hours", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("topic", sa.String(length=32), nullable=True))

    with op.batch_alter_table("pushes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resident_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("channel", sa.String(length=8), nullable=False, server_default="wechat")
        )
        batch_op.add_column(sa.Column("receipt", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("receipt_error", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("delivered_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("cost_fen", sa.Integer(), nullable=True))
        batch_op.alter_column("account_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column(
            "msgid", existing_type=sa.String(length=32), type_=sa.String(length=64), existing_nullable=True
        )
        batch_op.create_index("ix_pushes_msgid", ["msgid"], unique=False)
        batch_op.create_unique_constraint(
            "uq_pushes_resident_id_kind_object", ["resident_id", "kind", "object_type", "object_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_pushes_resident_id_residents"), "residents", ["resident_id"], ["id"]
        )


def downgrade():
    # Tables dropped whole (MariaDB refuses to drop an index a foreign key still needs).
    with op.batch_alter_table("pushes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_pushes_resident_id_residents"), type_="foreignkey")
        batch_op.drop_constraint("uq_pushes_resident_id_kind_object", type_="unique")
        batch_op.drop_index("ix_pushes_msgid")
        batch_op.alter_column(
            "msgid", existing_type=sa.String(length=64), type_=sa.String(length=32), existing_nullable=True
        )
        batch_op.alter_column("account_id", existing_type=sa.Integer(), nullable=False)
        for column in ("cost_fen", "delivered_at", "receipt_error", "receipt", "channel", "resident_id"):
            batch_op.drop_column(column)
    with op.batch_alter_table("events", schema=None) as batch_op:
        for column in ("topic", "credit_hours", "audience"):
            batch_op.drop_column(column)
    for table in ("notice_reads", "planned_visits", "placement_follow_ups", "notices", "sms_opt_outs"):
        op.drop_table(table)
