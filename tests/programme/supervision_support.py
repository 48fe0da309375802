"""Helpers of the supervision and progress-report tests: last month's work, written directly."""

import uuid
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.common.clock import local_day, month_start, utc_start_of
from app.extensions import db
from app.models import (
    Household,
    OperatorContract,
    Registration,
    Resident,
    Visit,
    VisitChannel,
)
from app.services.people.personal_data import set_phone
from app.services.people.places import community_by_code, place_columns
from app.services.people.residents import set_community

SAMPLES = "/api/v1/spot-check-samples"
FINDINGS = "/api/v1/findings"
CHENGZHONG = "341002002001"  # 昱中一社区, circle 城中
CHENGDONG = "341002001001"  # 昱东一社区, circle 城东


def last_month() -> date:
    """Return the first day of last month (a month that is over)."""
    return month_start(month_start(local_day()) - timedelta(days=1))


def month_text(month: date) -> str:
    """Return a month as the API takes it."""
    return f"{month:%Y-%m}"


def cover_last_month(operator) -> None:
    """Start the operator's contracts by last month, whatever month the tests run in."""
    for contract in db.session.scalars(
        sa.select(OperatorContract).where(OperatorContract.operator_id == operator.id)
    ):
        contract.starts_on = min(contract.starts_on, last_month())
    db.session.commit()


def household_with_phone(code: str, phone: str, name: str = "户主") -> Household:
    """Write a household whose head has a phone; return it."""
    community = community_by_code(code)
    household = Household(
        key=f"S-{uuid.uuid4().hex[:10]}", address=f"{community.name}抽查路8号", **place_columns(community)
    )
    db.session.add(household)
    db.session.flush()
    head = Resident(name=name, household=household, is_household_head=True)
    db.session.add(head)
    set_phone(head, phone)
    set_community(head, community)
    db.session.commit()
    return household


def door_visit(
    household: Household, worker_id: int, day: date, channel: str = VisitChannel.door.value
) -> Visit:
    """Write a visit to a household on a local day (at 10:00 city time)."""
    visit = Visit(
        worker_id=worker_id,
        client_id=uuid.uuid4().hex,
        household_id=household.id,
        visited_at=utc_start_of(day) + timedelta(hours=10),
        visit_day=day,
        outcome="met",
        channel=channel,
        community_id=household.community_id,
        township_id=household.township_id,
        circle_id=household.circle_id,
        district_id=household.district_id,
        city_id=household.city_id,
    )
    db.session.add(visit)
    db.session.commit()
    return visit


def visited_households(
    code: str, worker_id: int, count: int, month: date | None = None, first: int = 0
) -> list:
    """Write `count` households of a community, each visited at the door once in the month; return them."""
    month = month or last_month()
    found = []
    for n in range(first, first + count):
        household = household_with_phone(code, f"1370000{n:04d}")
        door_visit(household, worker_id, month + timedelta(days=n % 28))
        found.append(household)
    return found


def decided_registration(resident: Resident, reviewer_id: int, day: date) -> Registration:
    """Write an unemployment registration accepted on a local day."""
    registration = Registration(
        kind="unemployment",
        status="accepted",
        resident_id=resident.id,
        author_id=reviewer_id,
        client_id=uuid.uuid4().hex,
        entered_via="staff",
        reviewed_at=datetime.combine(day, time(4, 0)),  # 12:00 city time, as naive UTC
        reviewed_by_id=reviewer_id,
        accepted_on=day,
        community_id=resident.community_id,
        township_id=resident.township_id,
        circle_id=resident.circle_id,
        district_id=resident.district_id,
        city_id=resident.city_id,
    )
    db.session.add(registration)
    db.session.commit()
    return registration


def draw(client, headers, operator_id: int, kind: str = "visit", month: date | None = None, **more):
    """POST a draw of last month's sample (or the month's) and return the response."""
    body = {"month": month_text(month or last_month()), "operator_id": operator_id, "kind": kind, **more}
    return client.post(SAMPLES, json=body, headers=headers)
