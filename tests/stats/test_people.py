"""People: residents by status and key group, the month's movements and the trend, from ledger snapshots."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import LedgerSnapshot, StatusSource
from app.services.grid import snapshots
from app.services.people.places import community_by_code, place_columns
from app.services.people.status import record_status
from app.services.stats.base import label
from app.services.stats.people import people
from app.services.stats.places import resolve
from tests.stats.conftest import (
    CHENGZHONG,
    CITY,
    LJ1,
    TUNXI,
    VILLAGE,
    YD1,
    YUZHONG,
    YZ1,
    YZ2,
    get_section,
    last_month,
    path,
    rows_by,
    this_month,
)


@pytest.fixture
def ledger(make_resident):
    """Residents in five communities, this month's movements among them, and this month's snapshot."""
    for status in ("employed", "employed", "flexible"):
        make_resident(YZ1, status=status)
    make_resident(YZ1, status="unemployed_registered")
    make_resident(YZ1, status="unemployed", key_groups=["hard_to_employ"])
    loses_work = make_resident(YZ2, status="employed")
    finds_work = make_resident(LJ1, status="unemployed")
    for _ in range(2):
        make_resident(YD1, status="employed")
    make_resident(VILLAGE, status="retired")
    registers_then_works = make_resident(YD1, status="unemployed_registered")
    record_status(loses_work, "unemployed", StatusSource.visit)
    record_status(finds_work, "employed", StatusSource.hire)
    record_status(registers_then_works, "employed", StatusSource.hire)
    db.session.commit()
    snapshots.snapshot()
    return {"loses_work": loses_work, "finds_work": finds_work}


def test_the_city_sees_every_resident_by_status_and_key_group(client, staff, ledger):
    _, headers = staff("city_admin", CITY)

    body = get_section(client, headers, "people")

    figures = body["figures"]
    assert (figures["residents"], figures["communities"]) == (11, 5)
    assert figures["employed"] == 2 + 1 + 1 + 3  # 昱中一 two and one flexible, 老街一's new job, 昱东一 three
    assert figures["unemployed"] == 3 and figures["registered_unemployed"] == 1
    assert figures["labour_force"] == 10 and figures["unemployment_rate"] == 0.3
    # The month's movements: registered twice (one found work since), re-employed twice, one lost work.
    assert (figures["newly_registered_unemployed"], figures["re_employed"], figures["became_unemployed"]) == (
        2,
        2,
        1,
    )
    by_status = {item["key"]: item["value"] for item in body["by_status"]}
    assert by_status["retired"] == 1 and by_status["unemployed"] == 2
    assert {item["name"]: item["value"] for item in body["by_key_group"]}["就业困难人员"] == 1
    assert body["live"] is True and body["month"] == label(this_month())
    written = db.session.scalar(sa.select(sa.func.max(LedgerSnapshot.created_at)))
    assert body["as_of"] == written.replace(microsecond=0).isoformat() + "Z"
    assert body["labels"]["residents"] == "居民"
    # Districts one level down: 屯溪 holds all but the village.
    districts = rows_by(body["tables"]["children"])
    assert (districts["屯溪区"]["residents"], districts["黄山区"]["residents"]) == (10, 1)
    assert districts["徽州区"]["residents"] == 0
    assert districts["屯溪区"]["path"] == path(TUNXI)


def test_the_months_movements_come_from_the_snapshots_flows(client, staff, ledger):
    _, headers = staff("township_admin", YUZHONG)

    body = get_section(client, headers, "people")

    # In 昱中: one lost work (昱中二); one registered unemployed joined (昱中一). 老街 is not 昱中's.
    assert (body["figures"]["became_unemployed"], body["figures"]["re_employed"]) == (1, 0)
    assert body["figures"]["newly_registered_unemployed"] == 1
    assert body["figures"]["registered_unemployed"] == 1  # the status: the same one person here
    flows = {row.community_id: row.flows for row in db.session.scalars(sa.select(LedgerSnapshot))}
    assert flows[community_by_code(LJ1).id] == {
        "became_unemployed": 0,
        "re_employed": 1,
        "registered_unemployed": 0,
    }
    assert flows[community_by_code(YZ1).id]["registered_unemployed"] == 1
    assert flows[community_by_code(YZ2).id]["became_unemployed"] == 1


def test_each_level_sees_its_place_split_by_the_level_below(client, staff, ledger):
    _, district = staff("district_admin", TUNXI)
    _, operator = staff("operator", CHENGZHONG)
    _, township = staff("township_admin", YUZHONG)

    circles = rows_by(get_section(client, district, "people")["tables"]["children"])
    assert (circles["城中就业圈"]["residents"], circles["城东就业圈"]["residents"]) == (7, 3)
    townships = rows_by(get_section(client, operator, "people")["tables"]["children"])
    assert (townships["昱中街道"]["residents"], townships["老街街道"]["residents"]) == (6, 1)
    assert get_section(client, operator, "people")["figures"]["residents"] == 7
    body = get_section(client, township, "people")
    communities = rows_by(body["tables"]["children"])
    assert (communities["昱中一社区"]["residents"], communities["昱中二社区"]["residents"]) == (5, 1)
    assert communities["昱中一社区"]["key_group_members"] == 2  # hard to employ; registered unemployed
    assert body["figures"]["residents"] == 6
    # A community at the bottom has no table rows, and the township admin drills into it.
    leaf = get_section(client, township, "people", place=f"community:{YZ1}")
    assert leaf["figures"]["residents"] == 5 and leaf["tables"]["children"]["rows"] == []


def test_a_12_month_trend_with_the_months_before_from_their_snapshots(client, staff, ledger):
    _, headers = staff("township_admin", YUZHONG)
    before = last_month()
    db.session.add(
        LedgerSnapshot(
            month=label(before),
            residents=4,
            households=0,
            zero_employment_households=0,
            by_status={"employed": 3, "unemployed": 1},
            by_key_group={},
            flows={"became_unemployed": 2, "re_employed": 1, "registered_unemployed": 0},
            **place_columns(community_by_code(YZ1)),
        )
    )
    db.session.commit()

    body = get_section(client, headers, "people")

    trend = body["series"]["residents_trend"]
    assert len(trend["x"]) == 12 and trend["x"][-2:] == [label(before), label(this_month())]
    residents = next(s for s in trend["series"] if s["key"] == "residents")["data"]
    assert residents[-2:] == [4, 6] and residents[0] is None
    flows = {s["key"]: s["data"][-2] for s in body["series"]["flows_trend"]["series"]}
    assert flows == {"became_unemployed": 2, "re_employed": 1, "registered_unemployed": 0}
    assert len(body["missing_months"]) == 10
    employed = next(s for s in body["series"]["status_trend"]["series"] if s["key"] == "employed")
    assert employed["name"] == "就业" and employed["data"][-2:] == [3, 2]
    last = get_section(client, headers, "people", month=label(before))
    assert (last["live"], last["figures"]["residents"], last["as_of"] is not None) == (False, 4, True)


def test_a_month_without_a_snapshot_shows_zeros_and_no_time(client, staff, places):
    _, headers = staff("city_admin", CITY)

    body = get_section(client, headers, "people")

    assert body["as_of"] is None and body["figures"]["residents"] == 0
    assert label(this_month()) in body["missing_months"]


def test_the_service_answers_the_same_without_http(app, make_staff, ledger):
    admin = make_staff("city_admin", *CITY)

    body = people(admin, resolve(admin, *YUZHONG), this_month())

    assert body["section"] == "people" and body["figures"]["residents"] == 6
    assert body["tables"]["children"]["columns"][0] == ["place", "地点"]
