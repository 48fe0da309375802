"""Demo staff training and a planned visit: a platform-use training last week, attended by staff.

Rows written straight to the tables (the training is past: its check-in window is closed), each
found again by its title or client id, so a second run adds nothing.
"""

from datetime import timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    CheckIn,
    Event,
    EventSignup,
    GridAssignment,
    Household,
    PlannedVisit,
    Station,
    utcnow,
)
from app.services.demo.dates import at_local

TITLE = "演示 平台使用培训（工作人员）"
# Who signed up, and who came (the station staff signed up and did not come).
SIGNED_UP = ("demo-grid-worker", "demo-station-staff", "demo-operator", "demo-township-admin")
ATTENDED = ("demo-grid-worker", "demo-operator", "demo-township-admin")
PLAN_CLIENT_ID = "demo-plan-0001"


def demo_training() -> dict:
    """Add the demo staff training with its sign-ups and attendance, and a planned visit; return counts."""
    added = {"trainings": 0, "attendances": 0, "planned_visits": 0}
    station = db.session.scalar(
        sa.select(Station).where(Station.code.is_not(None)).order_by(Station.id).limit(1)
    )
    if station is not None and db.session.scalar(sa.select(Event.id).where(Event.title == TITLE)) is None:
        day = local_day() - timedelta(days=7)
        event = Event(
            title=TITLE,
            kind="training",
            audience="staff",
            topic="platform_use",
            credit_hours=3,
            description="台账录入、走访记录、数据看板的使用。",
            station_id=station.id,
            address=station.address,
            starts_at=at_local(day, 9 * 60),
            ends_at=at_local(day, 12 * 60),
            status="scheduled",
            **{name: getattr(station, name) for name in PLACE_COLUMN_NAMES},
        )
        db.session.add(event)
        db.session.flush()
        staff = {
            account.username: account
            for account in db.session.scalars(sa.select(Account).where(Account.username.in_(SIGNED_UP)))
        }
        for number, username in enumerate(SIGNED_UP, start=1):
            if username not in staff:
                continue
            db.session.add(EventSignup(event_id=event.id, account_id=staff[username].id))
            if username in ATTENDED:
                db.session.add(
                    CheckIn(
                        account_id=staff[username].id,
                        client_id=f"demo-training-{event.id}-{number}",
                        station_id=station.id,
                        event_id=event.id,
                        purpose="event",
                        via="event",
                        day=day,
                        queue_key=f"e{event.id}",
                        queue_number=number,
                        signed_up=True,
                        created_at=at_local(day, 9 * 60 - 10),
                        **{name: getattr(station, name) for name in PLACE_COLUMN_NAMES},
                    )
                )
                added["attendances"] += 1
        added["trainings"] = 1
    added["planned_visits"] = _planned_visit()
    db.session.commit()
    return added


def _planned_visit() -> int:
    """Plan the demo grid worker's visit to one of their households tomorrow at 10:00 (once)."""
    worker = db.session.scalar(sa.select(Account).where(Account.username == "demo-grid-worker"))
    if worker is None or db.session.scalar(
        sa.select(PlannedVisit.id).where(
            PlannedVisit.worker_id == worker.id, PlannedVisit.client_id == PLAN_CLIENT_ID
        )
    ):
        return 0
    household = db.session.scalar(
        sa.select(Household)
        .where(
            Household.community_id.in_(
                sa.select(GridAssignment.community_id).where(GridAssignment.account_id == worker.id)
            )
        )
        .order_by(Household.id)
        .limit(1)
    )
    if household is None:
        return 0
    db.session.add(
        PlannedVisit(
            household_id=household.id,
            worker_id=worker.id,
            client_id=PLAN_CLIENT_ID,
            planned_at=at_local(local_day() + timedelta(days=1), 10 * 60),
            note="了解就业意向，介绍培训",
            created_at=utcnow(),
            **{name: getattr(household, name) for name in PLACE_COLUMN_NAMES},
        )
    )
    return 1
