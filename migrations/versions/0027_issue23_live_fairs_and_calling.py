"""the mini-program for every role: live job fairs on WeChat Channels with the jobs they present,
and calling the queue's next visitor to the counter

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 07:02:09.538368

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "event_jobs",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_event_jobs_event_id_events")),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_event_jobs_job_id_jobs")),
        sa.PrimaryKeyConstraint("event_id", "job_id", name=op.f("pk_event_jobs")),
    )
    with op.batch_alter_table("event_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_jobs_job_id"), ["job_id"], unique=False)

    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("called_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("called_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_check_ins_called_by_id_accounts"), "accounts", ["called_by_id"], ["id"]
        )

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channels_finder_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("channels_feed_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("channels_nonce_id", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("channels_nonce_id")
        batch_op.drop_column("channels_feed_id")
        batch_op.drop_column("channels_finder_id")

    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_check_ins_called_by_id_accounts"), type_="foreignkey")
        batch_op.drop_column("called_by_id")
        batch_op.drop_column("called_at")

    # The table's index goes with it (MariaDB refuses to drop an index a foreign key needs).
    op.drop_table("event_jobs")
