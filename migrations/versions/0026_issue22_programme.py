"""running the programme: operators and contracts, circle filings and memberships, compliance, funding,
demonstration communities, supervision, progress reports, employer credibility

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 03:32:40.719035

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("contact_name", sa.String(length=64), nullable=True),
        sa.Column("contact_phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("contact_phone_hint", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], name=op.f("fk_operators_city_id_cities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_operators_credit_code")),
    )
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_operators_city_id"), ["city_id"], unique=False)

    op.create_table(
        "demonstration_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["accounts.id"], name=op.f("fk_demonstration_criteria_updated_by_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demonstration_criteria")),
        sa.UniqueConstraint("year", "key", name="uq_demonstration_criteria_year"),
    )
    op.create_table(
        "place_populations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_kind", sa.String(length=16), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("urban_population", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["accounts.id"], name=op.f("fk_place_populations_created_by_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_populations")),
    )
    with op.batch_alter_table("place_populations", schema=None) as batch_op:
        batch_op.create_index("ix_place_populations_place", ["place_kind", "place_id", "id"], unique=False)

    op.create_table(
        "progress_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("indicators", sa.Text(), nullable=False),
        sa.Column("problems", sa.Text(), nullable=True),
        sa.Column("good_practice", sa.Text(), nullable=True),
        sa.Column("next_steps", sa.Text(), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("times_filed", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("filed_by_id", sa.Integer(), nullable=True),
        sa.Column("filed_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], name=op.f("fk_progress_reports_city_id_cities")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["accounts.id"], name=op.f("fk_progress_reports_created_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["accounts.id"], name=op.f("fk_progress_reports_decided_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_progress_reports_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_id"], ["accounts.id"], name=op.f("fk_progress_reports_filed_by_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_reports")),
        sa.UniqueConstraint("district_id", "month", name="uq_progress_reports_district_id"),
    )
    with op.batch_alter_table("progress_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_progress_reports_city_id"), ["city_id"], unique=False)

    op.create_table(
        "spot_check_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"], ["cities.id"], name=op.f("fk_spot_check_samples_city_id_cities")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["accounts.id"], name=op.f("fk_spot_check_samples_created_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_spot_check_samples_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_spot_check_samples_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_check_samples")),
        sa.UniqueConstraint(
            "month", "operator_id", "kind", "district_id", name="uq_spot_check_samples_month"
        ),
    )
    with op.batch_alter_table("spot_check_samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_spot_check_samples_city_id"), ["city_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_spot_check_samples_operator_id"), ["operator_id"], unique=False)

    op.create_table(
        "circle_filings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("centre_lat", sa.Double(), nullable=True),
        sa.Column("centre_lng", sa.Double(), nullable=True),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("township_ids", sa.Text(), nullable=False),
        sa.Column("community_ids", sa.Text(), nullable=False),
        sa.Column("station_ids", sa.Text(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("filed_by_id", sa.Integer(), nullable=True),
        sa.Column("filed_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_circle_filings_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["accounts.id"], name=op.f("fk_circle_filings_created_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["accounts.id"], name=op.f("fk_circle_filings_decided_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_circle_filings_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_id"], ["accounts.id"], name=op.f("fk_circle_filings_filed_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_circle_filings_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_filings")),
        sa.UniqueConstraint("client_id", name=op.f("uq_circle_filings_client_id")),
    )
    with op.batch_alter_table("circle_filings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_circle_filings_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_circle_filings_district_id"), ["district_id"], unique=False)
        batch_op.create_index(
            "ix_circle_filings_status_effective_from", ["status", "effective_from"], unique=False
        )

    op.create_table(
        "compliance_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("place_kind", sa.String(length=16), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=8), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("open_key", sa.String(length=96), nullable=True),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_compliance_gaps_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], name=op.f("fk_compliance_gaps_city_id_cities")),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_compliance_gaps_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_compliance_gaps_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_gaps")),
        sa.UniqueConstraint("open_key", name=op.f("uq_compliance_gaps_open_key")),
    )
    with op.batch_alter_table("compliance_gaps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_compliance_gaps_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_compliance_gaps_city_id"), ["city_id"], unique=False)
        batch_op.create_index(
            "ix_compliance_gaps_district_id_closed_at", ["district_id", "closed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_compliance_gaps_operator_id"), ["operator_id"], unique=False)

    op.create_table(
        "operator_contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("population_served", sa.Integer(), nullable=True),
        sa.Column("fee_fen", sa.BigInteger(), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ended_reason", sa.String(length=255), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_operator_contracts_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["accounts.id"], name=op.f("fk_operator_contracts_created_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_operator_contracts_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_operator_contracts_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_contracts")),
        sa.UniqueConstraint("client_id", name=op.f("uq_operator_contracts_client_id")),
    )
    with op.batch_alter_table("operator_contracts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_operator_contracts_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index(
            "ix_operator_contracts_district_id_starts_on", ["district_id", "starts_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_operator_contracts_operator_id"), ["operator_id"], unique=False)

    op.create_table(
        "circle_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("filing_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_circle_memberships_circle_id_circles")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_circle_memberships_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["filing_id"], ["circle_filings.id"], name=op.f("fk_circle_memberships_filing_id_circle_filings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circle_memberships")),
    )
    with op.batch_alter_table("circle_memberships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_circle_memberships_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index(
            "ix_circle_memberships_community_id_valid_from", ["community_id", "valid_from"], unique=False
        )

    op.create_table(
        "employer_credibility",
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=True),
        sa.Column("stale_since", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_employer_credibility_employer_id_employers")
        ),
        sa.PrimaryKeyConstraint("employer_id", name=op.f("pk_employer_credibility")),
    )
    with op.batch_alter_table("employer_credibility", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_employer_credibility_stale_since"), ["stale_since"], unique=False
        )

    op.create_table(
        "spot_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("object_type", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("reached", sa.Boolean(), nullable=True),
        sa.Column("visit_confirmed", sa.Boolean(), nullable=True),
        sa.Column("data_correct", sa.Boolean(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("called_by_id", sa.Integer(), nullable=True),
        sa.Column("called_at", sa.DateTime(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("circle_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["called_by_id"], ["accounts.id"], name=op.f("fk_spot_checks_called_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(["circle_id"], ["circles.id"], name=op.f("fk_spot_checks_circle_id_circles")),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], name=op.f("fk_spot_checks_city_id_cities")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_spot_checks_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_spot_checks_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"], ["accounts.id"], name=op.f("fk_spot_checks_handled_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["households.id"], name=op.f("fk_spot_checks_household_id_households")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_spot_checks_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_spot_checks_resident_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["spot_check_samples.id"], name=op.f("fk_spot_checks_sample_id_spot_check_samples")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["townships.id"], name=op.f("fk_spot_checks_township_id_townships")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_checks")),
        sa.UniqueConstraint("sample_id", "object_id", name="uq_spot_checks_sample_id"),
    )
    with op.batch_alter_table("spot_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_spot_checks_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_spot_checks_city_id"), ["city_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_spot_checks_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_spot_checks_district_id"), ["district_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_spot_checks_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_spot_checks_resident_id"), ["resident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_spot_checks_township_id"), ["township_id"], unique=False)

    op.create_table(
        "compliance_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("gaps", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_compliance_digests_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_compliance_digests_notice_id_notices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_digests")),
        sa.UniqueConstraint("week", "account_id", name="uq_compliance_digests_week"),
    )
    with op.batch_alter_table("compliance_digests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_compliance_digests_account_id"), ["account_id"], unique=False)

    op.create_table(
        "demonstration_rankings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("place_kind", sa.String(length=16), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("weights", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=True),
        sa.Column("computed_by_id", sa.Integer(), nullable=True),
        sa.Column("selected_count", sa.Integer(), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["computed_by_id"],
            ["accounts.id"],
            name=op.f("fk_demonstration_rankings_computed_by_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["accounts.id"],
            name=op.f("fk_demonstration_rankings_confirmed_by_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_demonstration_rankings_notice_id_notices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demonstration_rankings")),
        sa.UniqueConstraint("year", "place_kind", "place_id", name="uq_demonstration_rankings_year"),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spot_check_id", sa.Integer(), nullable=True),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=128), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("closing_note", sa.String(length=500), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("circle_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("city_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["accounts.id"], name=op.f("fk_findings_answered_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(["circle_id"], ["circles.id"], name=op.f("fk_findings_circle_id_circles")),
        sa.ForeignKeyConstraint(["city_id"], ["cities.id"], name=op.f("fk_findings_city_id_cities")),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["accounts.id"], name=op.f("fk_findings_closed_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_findings_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_findings_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_findings_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(
            ["raised_by_id"], ["accounts.id"], name=op.f("fk_findings_raised_by_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["spot_check_id"], ["spot_checks.id"], name=op.f("fk_findings_spot_check_id_spot_checks")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["townships.id"], name=op.f("fk_findings_township_id_townships")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sa.UniqueConstraint("client_id", name=op.f("uq_findings_client_id")),
        sa.UniqueConstraint("spot_check_id", name=op.f("uq_findings_spot_check_id")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_circle_id"), ["circle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_city_id"), ["city_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_district_id"), ["district_id"], unique=False)
        batch_op.create_index("ix_findings_operator_id_status", ["operator_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_township_id"), ["township_id"], unique=False)

    op.create_table(
        "demonstration_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ranking_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("total", sa.Double(), nullable=False),
        sa.Column("scores", sa.Text(), nullable=False),
        sa.Column("selected", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_demonstration_scores_community_id_communities"),
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_demonstration_scores_district_id_districts")
        ),
        sa.ForeignKeyConstraint(
            ["ranking_id"],
            ["demonstration_rankings.id"],
            name=op.f("fk_demonstration_scores_ranking_id_demonstration_rankings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demonstration_scores")),
        sa.UniqueConstraint("ranking_id", "community_id", name="uq_demonstration_scores_ranking_id"),
    )
    with op.batch_alter_table("demonstration_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_demonstration_scores_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_demonstration_scores_district_id"), ["district_id"], unique=False
        )

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("operator_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("employment_type", sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_accounts_operator_id"), ["operator_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_accounts_operator_id_operators"), "operators", ["operator_id"], ["id"]
        )

    with op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="active", nullable=False)
        )
        batch_op.add_column(sa.Column("centre_lat", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("centre_lng", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("operator_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("effective_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("retired_on", sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f("ix_circles_operator_id"), ["operator_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_circles_operator_id_operators"), "operators", ["operator_id"], ["id"]
        )

    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("licence_valid_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("credibility_score", sa.SmallInteger(), nullable=True))

    # The circles in force before filings existed: every community's circle from the rollout on.
    op.execute(
        "INSERT INTO circle_memberships (community_id, circle_id, valid_from) "
        "SELECT id, circle_id, '2023-01-01' FROM communities WHERE circle_id IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.drop_column("credibility_score")
        batch_op.drop_column("licence_valid_until")

    with op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_circles_operator_id_operators"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_circles_operator_id"))
        batch_op.drop_column("retired_on")
        batch_op.drop_column("effective_from")
        batch_op.drop_column("operator_id")
        batch_op.drop_column("centre_lng")
        batch_op.drop_column("centre_lat")
        batch_op.drop_column("status")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_accounts_operator_id_operators"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_accounts_operator_id"))
        batch_op.drop_column("employment_type")
        batch_op.drop_column("operator_id")

    op.drop_table("demonstration_scores")
    op.drop_table("findings")
    op.drop_table("demonstration_rankings")
    op.drop_table("compliance_digests")
    op.drop_table("spot_checks")
    op.drop_table("employer_credibility")
    op.drop_table("circle_memberships")
    op.drop_table("operator_contracts")
    op.drop_table("compliance_gaps")
    op.drop_table("circle_filings")
    op.drop_table("spot_check_samples")
    op.drop_table("progress_reports")
    op.drop_table("place_populations")
    op.drop_table("demonstration_criteria")
    op.drop_table("operators")
