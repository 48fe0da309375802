"""Stations and their staff, grid workers, staff accounts and check-ins: scoped, each for its roles."""

from datetime import date

import pytest
import sqlalchemy as sa

from app.errors import APIError
from app.extensions import db
from app.models import Account, CheckIn, Resident, Station, StationStaff, utcnow
from app.services import lists
from app.services.people.personal_data import set_phone
from app.services.people.places import community_by_code
from app.services.people.residents import set_community
from app.services.stations.stations import circle_by_code, station_places
from tests.support import assign_directly

CITY, TUNXI = "341000000000", "341002000000"
CHENGZHONG, CHENGDONG = "341002-chengzhong", "341002-chengdong"
YUZHONG, LAOJIE, YUDONG = "341002002000", "341002004000", "341002001000"
YUZHONG_1, YUZHONG_2, LAOJIE_1 = "341002002001", "341002002002", "341002004001"


def refused(call) -> APIError:
    """Run a call that must fail and return its error."""
    with pytest.raises(APIError) as caught:
        call()
    return caught.value


def add_station(circle: str, name: str, lat: float, lng: float, staff=(), active=True) -> Station:
    """Write a station of a circle at a point, with staff assigned."""
    circle_row = circle_by_code(circle)
    number = db.session.scalar(sa.select(sa.func.count()).select_from(Station)) + 1
    station = Station(
        code=f"{circle}-{number:02d}",
        name=name,
        is_active=active,
        lat=lat,
        lng=lng,
        **station_places(circle_row, lat, lng),
    )
    station.circle_id = circle_row.id
    db.session.add(station)
    db.session.flush()
    for account in staff:
        db.session.add(StationStaff(station_id=station.id, account_id=account.id))
    db.session.commit()
    return station


@pytest.fixture
def two_stations(make_staff):
    """A station in 城中 (昱中) with two staff, and one in 城东 (昱东) with one."""
    counter = [make_staff("station_staff", "township", YUZHONG), make_staff("operator", "circle", CHENGZHONG)]
    east = [make_staff("station_staff", "circle", CHENGDONG)]
    return (
        add_station(CHENGZHONG, "昱中就业服务站", 29.7160, 118.3180, counter),
        add_station(CHENGDONG, "昱东就业服务站", 29.7230, 118.3390, east),
        counter,
        east,
    )


def test_stations_are_listed_in_the_place_with_their_staff_count(make_staff, two_stations):
    middle, east, _, _ = two_stations
    operator = make_staff("operator", "circle", CHENGZHONG)
    district = make_staff("district_admin", "district", TUNXI)
    worker = make_staff("grid_worker", "community", YUZHONG_1)

    (row,) = lists.page("stations", operator).items

    assert (row["name"], row["staff"], row["active"], row["circle"]) == (
        "昱中就业服务站",
        2,
        "启用",
        "城中就业圈",
    )
    # By station code: 341002-chengdong-… before 341002-chengzhong-….
    assert [r["name"] for r in lists.page("stations", district).items] == ["昱东就业服务站", "昱中就业服务站"]
    assert [r["id"] for r in lists.page("stations", district, {"place": CHENGDONG}).items] == [east.id]
    assert [r["id"] for r in lists.page("stations", district, {"q": "昱中"}).items] == [middle.id]
    assert lists.page("stations", district, {"active": "no"}).total == 0
    assert lists.page("stations", worker).total == 1  # where stations are is no secret


def test_station_staff_is_a_row_per_station_and_account(make_staff, two_stations, monkeypatch):
    _, _, counter, east = two_stations
    operator = make_staff("operator", "circle", CHENGZHONG)
    city = make_staff("city_admin", "city", CITY)

    rows = lists.page("station_staff", operator).items

    assert {(r["station"], r["username"]) for r in rows} == {("昱中就业服务站", a.username) for a in counter}
    assert {r["role"] for r in rows} == {"服务站工作人员", "运营机构"}
    assert lists.count("station_staff", city) == 3
    assert [r["username"] for r in lists.page("station_staff", city, {"role": "operator"}).items] == [
        counter[1].username
    ]
    # A pair has no id of its own: the stream pages by (station, account), a row at a time here.
    monkeypatch.setattr(lists, "BATCH_SIZE", 1)
    streamed = [(r["station_id"], r["account_id"]) for r in lists.stream("station_staff", city)]
    assert streamed == sorted(streamed) and len(streamed) == 3
    error = refused(lambda: lists.page("station_staff", make_staff("grid_worker", "community", YUZHONG_1)))
    assert error.status == 403


def test_grid_workers_show_their_communities(make_staff, places):
    one = make_staff("grid_worker", "township", YUZHONG, username="worker-one")
    make_staff("grid_worker", "community", LAOJIE_1, username="worker-two")
    far = make_staff("grid_worker", "township", YUDONG, username="worker-far")
    assign_directly(one, [YUZHONG_2, YUZHONG_1])
    assign_directly(far, ["341002001001"])
    operator = make_staff("operator", "circle", CHENGZHONG)
    township = make_staff("township_admin", "township", YUZHONG)

    rows = {r["username"]: r for r in lists.page("grid_workers", operator).items}

    assert set(rows) == {"worker-one", "worker-two"}
    assert (rows["worker-one"]["communities"], rows["worker-one"]["community_count"]) == (
        "昱中一社区、昱中二社区",
        2,
    )
    assert (rows["worker-two"]["communities"], rows["worker-two"]["community_count"]) == ("", 0)
    assert rows["worker-one"]["scope"] == "街道/乡镇 昱中街道"
    assert [r["username"] for r in lists.page("grid_workers", township).items] == ["worker-one"]
    assert [r["username"] for r in lists.page("grid_workers", operator, {"assigned": "no"}).items] == [
        "worker-two"
    ]
    assert [r["username"] for r in lists.page("grid_workers", operator, {"community": YUZHONG_2}).items] == [
        "worker-one"
    ]
    assert [r["communities"] for r in lists.stream("grid_workers", operator)] == [
        "昱中一社区、昱中二社区",
        "",
    ]
    assert refused(lambda: lists.page("grid_workers", one)).code == "role_forbidden"


@pytest.mark.parametrize(
    ("role", "kind", "code", "expected"),
    [
        ("city_admin", "city", CITY, {"in-yuzhong", "in-laojie", "in-chengzhong", "in-yudong", "in-tunxi"}),
        (
            "district_admin",
            "district",
            TUNXI,
            {"in-yuzhong", "in-laojie", "in-chengzhong", "in-yudong", "in-tunxi"},
        ),
        ("operator", "circle", CHENGZHONG, {"in-yuzhong", "in-laojie", "in-chengzhong"}),
        ("township_admin", "township", YUZHONG, {"in-yuzhong"}),
        ("supervisor", "circle", CHENGZHONG, {"in-yuzhong", "in-laojie", "in-chengzhong"}),
    ],
)
def test_staff_accounts_inside_the_actors_place_only(make_staff, places, role, kind, code, expected):
    make_staff("grid_worker", "community", YUZHONG_1, username="in-yuzhong")
    make_staff("station_staff", "township", LAOJIE, username="in-laojie")
    make_staff("station_staff", "circle", CHENGZHONG, username="in-chengzhong")
    make_staff("grid_worker", "township", YUDONG, username="in-yudong")
    make_staff("district_admin", "district", TUNXI, username="in-tunxi")
    actor = make_staff(role, kind, code, username="the-actor")

    seen = {r["username"] for r in lists.stream("staff_accounts", actor)} - {"the-actor"}

    assert seen & {"in-yuzhong", "in-laojie", "in-chengzhong", "in-yudong", "in-tunxi"} == expected
    row = next(r for r in lists.page("staff_accounts", actor, {"q": "the-actor"}).items)
    assert (row["role_code"], row["active"], row["locked"]) == (role, "启用", "否")
    assert "password" not in str(row)


def test_staff_accounts_are_not_for_grid_workers_or_station_staff(make_staff, places):
    for role, kind, code in (("grid_worker", "community", YUZHONG_1), ("station_staff", "township", YUZHONG)):
        error = refused(lambda r=role, k=kind, c=code: lists.count("staff_accounts", make_staff(r, k, c)))
        assert (error.status, error.code) == (403, "role_forbidden")


# --- check-ins ---------------------------------------------------------------------------------------


def add_check_in(station: Station, resident: Resident | None, purpose="job_seeking", **fields) -> CheckIn:
    """Write a check-in at a station (placed where the station is)."""
    number = db.session.scalar(sa.select(sa.func.count()).select_from(CheckIn)) + 1
    row = CheckIn(
        account_id=resident.account_id if resident and resident.account_id else fields.pop("account_id"),
        resident_id=resident.id if resident else None,
        client_id=f"c-{number}",
        station_id=station.id,
        purpose=purpose,
        via="printed",
        day=date.today(),
        queue_key=f"s{station.id}:{date.today()}",
        queue_number=number,
        **{
            name: getattr(station, name)
            for name in ("community_id", "township_id", "circle_id", "district_id", "city_id")
        },
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def visitor(make_staff, places):
    """A resident with an account, a name and a phone, living in 昱中一社区."""
    account = Account(role="resident", openid="visitor-openid")
    db.session.add(account)
    db.session.flush()
    resident = Resident(account_id=account.id, name="来访者张三")
    set_phone(resident, "13611112222")
    set_community(resident, community_by_code(YUZHONG_1))
    db.session.add(resident)
    db.session.commit()
    return resident


def test_check_ins_newest_first_masked_and_scoped_and_never_for_grid_workers(
    make_staff, two_stations, visitor
):
    middle, east, counter, _ = two_stations
    first = add_check_in(middle, visitor, "job_seeking")
    served = add_check_in(
        middle, visitor, "policy", served_at=utcnow(), served_by_id=counter[0].id, outcome="recommended_jobs"
    )
    add_check_in(east, visitor, "claim")
    staff = make_staff("station_staff", "township", YUZHONG)
    admin = make_staff("township_admin", "township", YUZHONG)
    worker = make_staff("grid_worker", "community", YUZHONG_1)
    assign_directly(worker, [YUZHONG_1])

    page = lists.page("check_ins", staff)

    assert [r["id"] for r in page.items] == [served.id, first.id]
    top = page.items[0]
    assert (top["visitor"], top["phone"], top["purpose"]) == ("来访者张三", "136****2222", "政策咨询")
    assert (top["outcome"], top["outcome_code"], top["served_by"]) == (
        "推荐岗位",
        "recommended_jobs",
        counter[0].username,
    )
    assert [r["id"] for r in lists.page("check_ins", staff, {"served": "no"}).items] == [first.id]
    assert [r["id"] for r in lists.page("check_ins", staff, {"q": "13611112222"}).items] == [
        served.id,
        first.id,
    ]
    assert [r["visitor"] for r in lists.stream("check_ins", staff)] == ["来****", "来****"]
    assert [r["phone"] for r in lists.stream("check_ins", admin, reveal=True)] == ["13611112222"] * 2
    assert "check_ins" not in lists.names(worker)
    error = refused(lambda: lists.page("check_ins", worker))
    assert (error.status, error.code) == (403, "role_forbidden")
