"""The daily re-evaluation: zero-employment flags follow ages with no status change; graduates leave."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from app.common import clock
from app.extensions import db
from app.models import Household, Resident, ResidentKeyGroup, ZeroEmploymentCase
from app.queues import enqueue
from app.services.people import ageing
from app.services.people.status import years_from
from app.tasks.maintenance import SCHEDULE
from tests.support import make_household

YZ1 = "341002002001"


def flag_of(household: Household):
    """Return the household's zero_employment_since as stored."""
    db.session.expire_all()
    return db.session.get(Household, household.id).zero_employment_since


def cases_of(household: Household) -> list[ZeroEmploymentCase]:
    """Return the household's cases, oldest first."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(ZeroEmploymentCase)
            .where(ZeroEmploymentCase.household_id == household.id)
            .order_by(ZeroEmploymentCase.id)
        )
    )


@pytest.fixture
def tomorrow(monkeypatch):
    """Return a function that moves the city's clock to 03:00 tomorrow (and the day it is)."""
    day = clock.local_day() + timedelta(days=1)

    def move():
        moment = datetime(day.year, day.month, day.day, 3, tzinfo=clock.zone())
        monkeypatch.setattr(clock, "local_now", lambda: moment)
        return day

    return day, move


def run_task() -> dict:
    """Run the daily task through the queue, as `flask cron` would; return what it reports."""
    job = enqueue("maintenance.reevaluate_ledger")
    assert job.is_finished, job.exc_info
    return job.return_value()


def test_households_are_reflagged_as_members_cross_working_age_without_any_status_change(places, tomorrow):
    day, move_clock = tomorrow
    # 59 today, 60 tomorrow: the only member able to work leaves working age.
    leaving = make_household(YZ1, [("老张", "unemployed", years_from(day, -60)), ("张奶奶", "retired", None)])
    # 15 today, 16 tomorrow: an unemployed school leaver joins the labour force's working age.
    joining = make_household(YZ1, [("小李", "unemployed", years_from(day, -16)), ("李叔", "retired", None)])
    steady = make_household(YZ1, [("王五", "unemployed", years_from(day, -40))])
    assert flag_of(leaving) is not None and flag_of(joining) is None and flag_of(steady) is not None
    steady_since = flag_of(steady)

    move_clock()
    report = run_task()

    assert (report["households_checked"], report["flagged"], report["cleared"]) == (2, 1, 1)
    assert flag_of(leaving) is None
    [closed] = cases_of(leaving)
    assert closed.cleared_at is not None and closed.cleared_source == "age"
    assert flag_of(joining) == day
    [opened] = cases_of(joining)
    assert opened.cleared_at is None
    assert flag_of(steady) == steady_since and len(cases_of(steady)) == 1

    # Again the same day: nothing more to do.
    again = run_task()
    assert (again["flagged"], again["cleared"], again["graduates_ended"]) == (0, 0, 0)
    assert again["since"] == again["through"] == day.isoformat()


def test_graduates_past_their_years_leave_the_group(make_resident, tomorrow):
    day, move_clock = tomorrow
    old, recent = (
        make_resident(key_groups=["college_graduate"]),
        make_resident(key_groups=["college_graduate"]),
    )
    # Recorded before periods had an end (or under a longer GRADUATE_KEY_GROUP_YEARS): still open.
    graduated = day - timedelta(days=3 * 365)
    db.session.execute(
        sa.update(ResidentKeyGroup)
        .where(ResidentKeyGroup.resident_id == old.id)
        .values(since=graduated, until=None)
    )
    db.session.commit()
    assert db.session.get(Resident, old.id).key_groups == ["college_graduate"]

    move_clock()
    report = run_task()

    assert report["graduates_ended"] == 1
    db.session.expire_all()
    ended = db.session.get(ResidentKeyGroup, (old.id, "college_graduate"))
    assert ended.until == years_from(graduated, 2) - timedelta(days=1)
    assert db.session.get(Resident, old.id).key_groups == []
    assert db.session.get(Resident, recent.id).key_groups == ["college_graduate"]


def test_the_first_run_looks_back_a_week_and_later_runs_start_where_the_last_ended(places):
    today = clock.local_day()

    first = ageing.reevaluate()
    second = ageing.reevaluate()

    assert first["since"] == (today - timedelta(days=ageing.REEVALUATE_DAYS)).isoformat()
    assert second["since"] == today.isoformat()


def test_the_re_evaluation_runs_daily():
    assert ("maintenance.reevaluate_ledger", 24 * 3600) in SCHEDULE
