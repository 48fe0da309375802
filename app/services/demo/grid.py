"""Demo grid work: three households in every demo community, and a grid worker assigned to it."""

import csv
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import GridAssignment, Household, Resident, StatusSource, ZeroEmploymentCase, utcnow
from app.services.demo.dates import ledger_start
from app.services.demo.people import demo_id_number, demo_staff
from app.services.people import places
from app.services.people.personal_data import set_id_number
from app.services.people.residents import set_community
from app.services.people.status import recompute, record_status, set_key_groups

DEMO_COMMUNITIES = Path(__file__).resolve().parents[2] / "data" / "demo_communities.csv"

# Households per demo community: (key suffix, members), each member being
# (given name, birth date, sex digit, status, key groups, household head).
# The third household of each community has nobody in work: a zero-employment household.
DEMO_HOUSEHOLDS = (
    (
        "01",
        (
            ("建国", "19700305", "1", "employed", [], True),
            ("秀兰", "19720611", "2", "flexible", ["flexible_worker"], False),
            ("浩然", "20020908", "1", "unemployed", ["college_graduate"], False),
        ),
    ),
    (
        "02",
        (
            ("志强", "19650120", "3", "retired", [], True),
            ("丽娟", "19900417", "4", "employed", ["migrant_worker"], False),
        ),
    ),
    (
        "03",
        (
            ("永军", "19780823", "5", "unemployed_registered", ["hard_to_employ"], True),
            ("桂芳", "19800214", "6", "unemployed", [], False),
            ("子涵", "20100509", "7", "student", [], False),
        ),
    ),
)
DEMO_SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭"


def demo_households(hashed) -> dict:
    """Give every demo community three households and a grid worker assigned to it; safe to run again."""
    made = {"households": 0, "grid_workers": []}
    communities = list(csv.DictReader(DEMO_COMMUNITIES.read_text(encoding="utf-8").splitlines()))
    for number, row in enumerate(communities):
        community = places.community_by_code(row["code"])
        username = "demo-grid-worker" if row["code"] == "341002002001" else f"demo-grid-{row['code']}"
        worker = demo_staff(
            username, "grid_worker", "community", row["code"], f"演示 网格员 {community.name}", hashed
        )
        if db.session.get(GridAssignment, (worker.id, community.id)) is None:
            db.session.add(GridAssignment(account_id=worker.id, community_id=community.id))
        made["grid_workers"].append(username)
        surname = DEMO_SURNAMES[number % len(DEMO_SURNAMES)]
        for index, (suffix, members) in enumerate(DEMO_HOUSEHOLDS):
            key = f"DEMO-{suffix}"
            household = db.session.scalar(
                sa.select(Household).where(Household.community_id == community.id, Household.key == key)
            )
            if household is not None:
                continue
            household = Household(
                key=key,
                address=f"{community.name}演示小区{index + 1}栋{101 + number}室",
                lat=float(row["lat"]) + 0.0012 * (index - 1),
                lng=float(row["lng"]) + 0.0009 * ((number % 3) - 1),
                **places.place_columns(community),
            )
            db.session.add(household)
            db.session.flush()
            made["households"] += 1
            for given, birth, sex, status, groups, head in members:
                # Sequence: the community's number and the sex digit (odd male, even female).
                id_number = demo_id_number(birth, f"{number:02d}{sex}")
                resident = Resident(name=surname + given, household=household, is_household_head=head)
                db.session.add(resident)
                set_id_number(resident, id_number)
                set_community(resident, community)
                set_key_groups(resident, groups)
                record_status(
                    resident,
                    status,
                    StatusSource.staff,
                    note="demo data",
                    occurred_at=ledger_start(),
                    recompute_household=False,
                )
            db.session.flush()
            if recompute(household.id, StatusSource.staff):
                backdate_case(household, number)
    return made


def backdate_case(household: Household, number: int) -> None:
    """Date a new demo household's zero-employment case weeks or months back, community by community.

    Opened today, every case would be 0 days open; the console lists them oldest first.
    """
    # 20 to 173 days; the oldest (cleared first by demo/ledger.py) in 昱中街道, the township admin's.
    opened = max(utcnow() - timedelta(days=20 + 9 * ((number - 4) % 18)), ledger_start())
    db.session.flush()
    case = db.session.scalar(
        sa.select(ZeroEmploymentCase).where(
            ZeroEmploymentCase.household_id == household.id, ZeroEmploymentCase.cleared_at.is_(None)
        )
    )
    if case is not None:
        case.opened_at = opened
        household.zero_employment_since = local_day(opened)
