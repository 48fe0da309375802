"""coded check-in outcomes, follow-ups closed, ledger snapshot flows and coverage; indexes the statistics read by

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 23:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("follow_up_closed_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_check_ins_city_id_day", ["city_id", "day"], unique=False)
        batch_op.create_index("ix_check_ins_circle_id_day", ["circle_id", "day"], unique=False)
        batch_op.create_index(
            "ix_check_ins_follow_up_open", ["follow_up", "follow_up_closed_at"], unique=False
        )

    with op.batch_alter_table("ledger_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flows", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("coverage", sa.Text(), nullable=True))

    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index("ix_visits_worker_id_visit_day", ["worker_id", "visit_day"], unique=False)

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_published_at", ["published_at"], unique=False)

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index("ix_applications_created_at", ["created_at"], unique=False)
        batch_op.create_index(
            "ix_applications_status_status_changed_at", ["status", "status_changed_at"], unique=False
        )

    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.create_index("ix_status_changes_occurred_at", ["occurred_at"], unique=False)


def downgrade():
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_status_changes_occurred_at")

    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_status_status_changed_at")
        batch_op.drop_index("ix_applications_created_at")

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_published_at")

    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_worker_id_visit_day")

    with op.batch_alter_table("ledger_snapshots", schema=None) as batch_op:
        batch_op.drop_column("coverage")
        batch_op.drop_column("flows")

    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.drop_index("ix_check_ins_follow_up_open")
        batch_op.drop_index("ix_check_ins_circle_id_day")
        batch_op.drop_index("ix_check_ins_city_id_day")
        batch_op.drop_column("follow_up_closed_at")
        batch_op.drop_column("outcome")
