"""Zero-employment households: open at the month's end, opened and cleared in it, days open, the oldest."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AssistanceAction, ZeroEmploymentCase, utcnow
from app.services.grid import snapshots
from app.services.people import status as ledger_core
from app.services.people.status import record_status
from app.services.stats.base import label
from tests.stats.conftest import CITY, LJ1, YD1, YUZHONG, YZ1, YZ2, get_section, last_month, rows_by
from tests.support import make_household


def case_of(household) -> ZeroEmploymentCase:
    return db.session.scalar(
        sa.select(ZeroEmploymentCase).where(ZeroEmploymentCase.household_id == household.id)
    )


@pytest.fixture
def cases(places, make_staff):
    """Four zero-employment households: one open 400 days, one 100, one new, one cleared this month."""
    old = make_household(YZ1, [("老户主", "unemployed", "19800101")])
    middle = make_household(YZ2, [("中户主", "unemployed_registered", "19850101")])
    new = make_household(LJ1, [("新户主", "unemployed", "19900101")])
    cleared = make_household(YD1, [("清零户主", "unemployed", "19750101")])
    staff = make_staff("city_admin", *CITY)
    for household, days in ((old, 400), (middle, 100), (cleared, 50)):
        case_of(household).opened_at = utcnow() - timedelta(days=days)
    db.session.add(AssistanceAction(case_id=case_of(old).id, kind="job_recommended", actor_id=staff.id))
    db.session.commit()
    record_status(cleared.members[0], "employed", "staff")
    ledger_core.recompute(cleared.id, "staff")
    db.session.commit()
    snapshots.snapshot()
    return {"old": old, "middle": middle, "new": new, "cleared": cleared}


def test_open_opened_cleared_and_days_open(client, staff, cases):
    _, headers = staff("city_admin", CITY)

    body = get_section(client, headers, "zero-employment")

    figures = body["figures"]
    assert (figures["open"], figures["opened"], figures["cleared"]) == (3, 1, 1)
    assert figures["oldest_days"] == 400
    bands = {item["key"]: item["value"] for item in body["days_open"]}
    assert bands == {"d30": 1, "d90": 0, "d180": 1, "d365": 0, "over365": 1}
    oldest = body["tables"]["oldest"]["rows"]
    assert [(r["community"], r["days_open"], r["actions"]) for r in oldest] == [
        ("昱中一社区", 400, 1),
        ("昱中二社区", 100, 0),
        ("老街一社区", 0, 0),
    ]
    # A case is where and since when: never who.
    text = json.dumps(body, ensure_ascii=False)
    assert not any(name in text for name in ("老户主", "中户主", "新户主", "清零户主"))
    districts = rows_by(body["tables"]["children"])
    assert (districts["屯溪区"]["open"], districts["屯溪区"]["cleared"]) == (3, 1)


def test_a_township_sees_its_own_cases_per_community(client, staff, cases):
    _, headers = staff("township_admin", YUZHONG)

    body = get_section(client, headers, "zero-employment")

    assert (body["figures"]["open"], body["figures"]["cleared"]) == (2, 0)
    communities = rows_by(body["tables"]["children"])
    assert (communities["昱中一社区"]["open"], communities["昱中一社区"]["oldest_days"]) == (1, 400)
    assert [r["community"] for r in body["tables"]["oldest"]["rows"]] == ["昱中一社区", "昱中二社区"]


def test_the_trend_reads_month_end_households_from_snapshots(client, staff, cases):
    _, headers = staff("city_admin", CITY)

    body = get_section(client, headers, "zero-employment")

    trend = {s["key"]: s["data"] for s in body["series"]["trend"]["series"]}
    assert trend["households"][-1] == 3 and trend["households"][0] is None
    assert trend["opened"][-1] == 1 and trend["cleared"][-1] == 1
    # Opened 100 and 50 days ago and this month; the oldest, 400 days ago, before the 12 months.
    assert sum(trend["opened"]) == 3 and sum(trend["cleared"]) == 1


def test_a_past_month_counts_what_was_open_at_its_end(client, staff, cases):
    _, headers = staff("city_admin", CITY)

    body = get_section(client, headers, "zero-employment", month=label(last_month()))

    # At last month's end: the old, the middle and the since cleared one were open; the new one not yet.
    assert body["figures"]["open"] == 3 and body["figures"]["cleared"] == 0
    assert body["live"] is False
