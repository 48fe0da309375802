"""employers met in the field: visits, hiring needs, staff-registered employers

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 04:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

PLACES = (
    ("community_id", "communities"),
    ("township_id", "townships"),
    ("circle_id", "circles"),
    ("district_id", "districts"),
    ("city_id", "cities"),
)


def _place_columns(table: str) -> list:
    """The five place columns of a people-data table, with their foreign keys."""
    items = []
    for column, target in PLACES:
        items.append(sa.Column(column, sa.Integer(), nullable=True))
        items.append(
            sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))
        )
    return items


def _place_indexes(batch_op, table: str) -> None:
    for column, _ in PLACES:
        batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade():
    # A business staff registered in the field has no WeChat account until it claims its record.
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.alter_column("account_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("registered_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("registered_client_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claim_code_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claim_code_expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("claim_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_employers_registered_by_id_accounts"), "accounts", ["registered_by_id"], ["id"]
        )
        batch_op.create_unique_constraint(
            "uq_employers_registered_by_id_registered_client_id", ["registered_by_id", "registered_client_id"]
        )
    with op.batch_alter_table("employers", schema=None) as batch_op:
        # The default served the rows already there; the model writes 0 itself.
        batch_op.alter_column("claim_attempts", existing_type=sa.Integer(), server_default=None)

    op.create_table(
        "employer_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("met_name", sa.String(length=64), nullable=True),
        sa.Column("met_title", sa.String(length=64), nullable=True),
        sa.Column("problems", sa.Text(), nullable=True),
        sa.Column("problem_notes", sa.String(length=1000), nullable=True),
        sa.Column("subsidy_interest", sa.Text(), nullable=True),
        sa.Column("follow_up", sa.String(length=500), nullable=True),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        *_place_columns("employer_visits"),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_employer_visits_employer_id_employers")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["accounts.id"], name=op.f("fk_employer_visits_staff_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employer_visits")),
        sa.UniqueConstraint("staff_id", "client_id", name="uq_employer_visits_staff_id_client_id"),
    )
    with op.batch_alter_table("employer_visits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_employer_visits_employer_id_visited_on", ["employer_id", "visited_on"], unique=False
        )
        batch_op.create_index("ix_employer_visits_visited_on", ["visited_on"], unique=False)
        _place_indexes(batch_op, "employer_visits")

    op.create_table(
        "hiring_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("wage_min", sa.Integer(), nullable=True),
        sa.Column("wage_max", sa.Integer(), nullable=True),
        sa.Column("wage_unit", sa.String(length=8), nullable=False),
        sa.Column("skills", sa.Text(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("drafted_at", sa.DateTime(), nullable=True),
        sa.Column("drafted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        *_place_columns("hiring_needs"),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["employer_visits.id"], name=op.f("fk_hiring_needs_visit_id_employer_visits")
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_hiring_needs_employer_id_employers")
        ),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_hiring_needs_job_id_jobs")),
        sa.ForeignKeyConstraint(
            ["drafted_by_id"], ["accounts.id"], name=op.f("fk_hiring_needs_drafted_by_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hiring_needs")),
        sa.UniqueConstraint("job_id", name=op.f("uq_hiring_needs_job_id")),
    )
    with op.batch_alter_table("hiring_needs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hiring_needs_visit_id"), ["visit_id"], unique=False)
        batch_op.create_index(
            "ix_hiring_needs_employer_id_deadline", ["employer_id", "deadline"], unique=False
        )
        _place_indexes(batch_op, "hiring_needs")


def downgrade():
    op.drop_table("hiring_needs")
    op.drop_table("employer_visits")
    # Staff-registered employers nobody claimed have no owner to keep under the old rule: removed.
    # (their draft jobs with them: a draft was never published, so nothing else points at it).
    op.execute("DELETE FROM jobs WHERE employer_id IN (SELECT id FROM employers WHERE account_id IS NULL)")
    op.execute("DELETE FROM employers WHERE account_id IS NULL")
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_employers_registered_by_id_registered_client_id", type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_employers_registered_by_id_accounts"), type_="foreignkey")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claim_attempts")
        batch_op.drop_column("claim_code_expires_at")
        batch_op.drop_column("claim_code_hash")
        batch_op.drop_column("registered_client_id")
        batch_op.drop_column("registered_by_id")
        batch_op.alter_column("account_id", existing_type=sa.Integer(), nullable=False)
