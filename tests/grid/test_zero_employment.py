"""Zero-employment households (rule, flag, clear by hire/visit/staff, cases and actions), key-group
periods, the monthly ledger snapshots and trend, and the demo households."""

import contextlib
import csv
import io
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import (
    Account,
    Application,
    AssistanceAction,
    Community,
    GridAssignment,
    Household,
    KeyGroup,
    LedgerSnapshot,
    Resident,
    ResidentKeyGroup,
    StatusChange,
    ZeroEmploymentCase,
    utcnow,
)
from app.services.grid.checklist import checklist
from app.services.grid.snapshots import snapshot as take_snapshot
from app.services.people import status as ledger_core
from app.services.people.places import community_by_code, place_columns
from app.services.people.status import add_key_group, record_status
from tests.conftest import make_id_number
from tests.support import assign, error_of, make_household, new_household

CASES = "/api/v1/zero-employment-households"
HOUSEHOLDS = "/api/v1/households"
RESIDENTS = "/api/v1/residents"
VISITS = "/api/v1/grid/visits"
SNAPSHOTS = "/api/v1/ledger/snapshots"
IMPORT = "/api/v1/imports/households"
ME = "/api/v1/me"
YZ1, YZ2, LJ1, YD1 = "341002002001", "341002002002", "341002004001", "341002001001"
YUZHONG, LAOJIE = "341002002000", "341002004000"
CHENGZHONG = "341002-chengzhong"
PLACE_COLUMNS = ("community_id", "township_id", "circle_id", "district_id", "city_id")
CSV_HEADER = "household_key,name,id_number,phone,address,community_code,employment_status,key_groups,is_head"
DEMO_COMMUNITIES = Path(__file__).resolve().parents[2] / "app" / "data" / "demo_communities.csv"
DEMO_PASSWORD = "demo-password-for-tests"


# ---------------------------------------------------------------- helpers


def aged(years: int, days: int = 0) -> date:
    """Return the birth date of someone who turns `years` old `days` days from today (city's day)."""
    today = local_day()
    try:
        birthday = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        birthday = date(today.year - years, 2, 28)
    return birthday + timedelta(days=days)


def person(status: str | None, birth: date | None) -> Resident:
    """A household member in memory only."""
    return Resident(employment_status=status, birth_date=birth)


def cases_of(household_id: int) -> list[ZeroEmploymentCase]:
    """Return a household's cases, oldest first, as stored."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(ZeroEmploymentCase)
            .where(ZeroEmploymentCase.household_id == household_id)
            .order_by(ZeroEmploymentCase.id)
        )
    )


def flag_of(household_id: int) -> date | None:
    """Return a household's zero_employment_since as stored."""
    db.session.expire_all()
    return db.session.get(Household, household_id).zero_employment_since


def member_named(household_id: int, name: str) -> Resident:
    """Return a household's member by name."""
    return db.session.scalar(
        sa.select(Resident).where(Resident.household_id == household_id, Resident.name == name)
    )


def import_csv(client, headers, rows: list[str]):
    """Upload a household CSV (header + rows)."""
    data = ("\n".join([CSV_HEADER, *rows]) + "\n").encode()
    return client.post(
        IMPORT,
        data={"file": (io.BytesIO(data), "households.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )


_visit_numbers = iter(range(1, 1_000_000))


def visit(client, headers, household_id: int, members: list[dict]):
    """Send one met visit with member updates; return its result item."""
    item = {
        "client_id": f"zero-visit-{next(_visit_numbers):06d}",
        "visited_at": datetime.now(UTC).isoformat(),
        "household_id": household_id,
        "outcome": "met",
        "members": members,
    }
    response = client.post(VISITS, json={"visits": [item]}, headers=headers)
    assert response.status_code == 200, response.get_json()
    [result] = response.get_json()["results"]
    return result


@pytest.fixture
def yuzhong_admin(staff_headers):
    """A township admin of 昱中: (account, headers)."""
    return staff_headers("township_admin", "township", YUZHONG)


@pytest.fixture
def worker(make_staff, login, client, operator):
    """A grid worker of 昱中 assigned to 昱中一社区: (account, headers)."""
    account = make_staff("grid_worker", "township", YUZHONG)
    assign(client, operator[1], account, [YZ1])
    return account, login(account.username)


# ---------------------------------------------------------------- 1. the rule


@pytest.mark.parametrize(
    ("members", "zero"),
    [
        ([("unemployed", 30)], True),
        ([("unemployed_registered", 45)], True),
        ([("unemployed", 30), ("student", 19), ("retired", 70)], True),
        ([("unemployed", 30), ("employed", 40)], False),
        ([("unemployed", 30), ("flexible", 40)], False),
        ([("flexible", 30)], False),
        ([("student", 20)], False),
        ([("retired", 55)], False),
        ([("not_in_labour_force", 40)], False),
        ([("unemployed", None)], False),
        ([(None, 30)], False),
        ([("unemployed", 70), ("student", 17)], False),
        # Anyone in work clears the household, whatever their age.
        ([("unemployed", 30), ("employed", 65)], False),
        ([], False),
    ],
    ids=[
        "unemployed",
        "registered-unemployed",
        "unemployed-with-student-and-retired",
        "one-employed",
        "one-flexible",
        "only-flexible",
        "student",
        "retired",
        "not-in-labour-force",
        "unknown-age",
        "unknown-status",
        "nobody-of-working-age",
        "employed-pensioner",
        "empty",
    ],
)
def test_rule(app, members, zero):
    people = [person(status, None if age is None else aged(age, -30)) for status, age in members]

    assert ledger_core.is_zero_employment(people, local_day()) is zero


@pytest.mark.parametrize(
    ("years", "days", "zero"),
    [
        (16, 0, True),  # 16 today
        (16, 1, False),  # 16 tomorrow: 15
        (60, 1, True),  # 60 tomorrow: 59
        (60, 0, False),  # 60 today
    ],
    ids=["16-today", "15", "59", "60-today"],
)
def test_working_age_limits_by_birth_date(app, years, days, zero):
    members = [person("unemployed", aged(years, days)), person("student", aged(10))]

    assert ledger_core.is_zero_employment(members, local_day()) is zero


def test_working_age_limits_come_from_the_config(app, places):
    household = make_household(YZ1, [("老王", "unemployed", aged(62, -30))])
    assert flag_of(household.id) is None and cases_of(household.id) == []

    app.config.update(WORKING_AGE_MAX=64)
    ledger_core.recompute(household.id, "staff")
    db.session.commit()

    assert flag_of(household.id) == local_day()
    assert len(cases_of(household.id)) == 1


def test_flagged_household_gets_the_day_and_a_case_for_the_first_grid_worker(
    client, make_staff, login, operator, yuzhong_admin
):
    first = make_staff("grid_worker", "township", YUZHONG)
    second = make_staff("grid_worker", "community", YZ1)
    unassigned = make_staff("grid_worker", "township", YUZHONG)
    assign(client, operator[1], second, [YZ1])
    assign(client, operator[1], first, [YZ1, YZ2])
    assign(client, operator[1], unassigned, [YZ2])
    assert first.id < second.id

    report = import_csv(
        client,
        yuzhong_admin[1],
        [
            f"ZE-1,钱一,{make_id_number(birth='19900101')},,昱中测试路1号,{YZ1},未就业,,是",
            f"ZE-1,钱二,{make_id_number(birth='20100101')},,昱中测试路1号,{YZ1},在校学生,,否",
            f"OK-1,孙一,{make_id_number(birth='19900101')},,昱中测试路2号,{YZ1},unemployed,,是",
            f"OK-1,孙二,{make_id_number(birth='19880101')},,昱中测试路2号,{YZ1},灵活就业,,否",
        ],
    )

    assert report.status_code == 200, report.get_json()
    assert report.get_json()["imported"] == 4 and report.get_json()["rejected"] == []
    zero, fine = (db.session.scalar(sa.select(Household).where(Household.key == k)) for k in ("ZE-1", "OK-1"))
    assert zero.zero_employment_since == local_day()
    assert fine.zero_employment_since is None
    assert cases_of(fine.id) == []
    [case] = cases_of(zero.id)
    assert case.cleared_at is None and case.cleared_source is None
    assert case.assigned_to_id == first.id
    assert {name: getattr(case, name) for name in PLACE_COLUMNS} == {
        name: getattr(zero, name) for name in PLACE_COLUMNS
    }
    assert case.community_id == community_by_code(YZ1).id
    listed = client.get(HOUSEHOLDS, query_string={"zero_employment": "true"}, headers=yuzhong_admin[1])
    assert [
        (h["key"], h["zero_employment"], h["zero_employment_since"]) for h in listed.get_json()["items"]
    ] == [("ZE-1", True, local_day().isoformat())]
    # The grid worker of the case sees it; the one working elsewhere does not.
    assert client.get(f"{CASES}/{case.id}", headers=login(first.username)).status_code == 200
    assert client.get(f"{CASES}/{case.id}", headers=login(unassigned.username)).status_code == 404


def test_case_skips_an_inactive_grid_worker_and_may_have_none(client, make_staff, operator, places):
    inactive = make_staff("grid_worker", "township", YUZHONG)
    active = make_staff("grid_worker", "township", YUZHONG)
    assign(client, operator[1], inactive, [YZ1])
    assign(client, operator[1], active, [YZ1])
    db.session.get(Account, inactive.id).is_active = False
    db.session.commit()

    assigned = make_household(YZ1, [("周一", "unemployed", aged(30))])
    nobody = make_household(LJ1, [("吴一", "unemployed", aged(30))])

    assert [c.assigned_to_id for c in cases_of(assigned.id)] == [active.id]
    assert [c.assigned_to_id for c in cases_of(nobody.id)] == [None]


def test_two_status_changes_at_once_in_one_household_open_one_case(app, places, backend, monkeypatch):
    if backend != "real":
        pytest.skip("SQLite serialises writers; the concurrent variant runs on MariaDB")
    home = new_household(YZ1, [("student", "19990101"), ("student", "20000101")])
    assert cases_of(home.id) == []
    members = list(db.session.scalars(sa.select(Resident.id).where(Resident.household_id == home.id)))
    db.session.commit()
    # Both changes reach the household's recompute before either goes on (a fix that serialises
    # earlier only makes this wait time out, not fail).
    gate = threading.Barrier(2)
    recompute = ledger_core.recompute

    def gated(household_id, source):
        with contextlib.suppress(threading.BrokenBarrierError):
            gate.wait(timeout=3)
        return recompute(household_id, source)

    monkeypatch.setattr(ledger_core, "recompute", gated)
    start = threading.Barrier(2)
    failures = []

    def change(resident_id):
        try:
            with app.app_context():
                start.wait()
                record_status(db.session.get(Resident, resident_id), "unemployed", "staff")
                db.session.commit()
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=change, args=(resident_id,)) for resident_id in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert not failures, failures

    db.session.expire_all()
    statuses = db.session.scalars(sa.select(Resident.employment_status).where(Resident.id.in_(members)))
    assert sorted(statuses) == ["unemployed", "unemployed"]
    cases = cases_of(home.id)
    assert [c.cleared_at for c in cases] == [None], cases
    assert db.session.get(Household, home.id).zero_employment_since == local_day()


def test_households_that_are_not_zero_employment(client, yuzhong_admin, places):
    flagged = make_household(YZ1, [("甲", "unemployed", aged(30))])
    others = [
        make_household(YZ1, [("乙", "unemployed", aged(30)), ("乙妻", "flexible", aged(31))]),
        make_household(YZ1, [("丙", "student", aged(20)), ("丙父", "retired", aged(58))]),
        make_household(YZ1, [("丁", "not_in_labour_force", aged(40))]),
        make_household(YZ1, [("戊", "unemployed", aged(15)), ("戊母", "unemployed", aged(62))]),
        make_household(YZ1, [("己", "unemployed", None)]),
    ]

    response = client.get(HOUSEHOLDS, query_string={"zero_employment": "true"}, headers=yuzhong_admin[1])
    not_zero = client.get(HOUSEHOLDS, query_string={"zero_employment": "false"}, headers=yuzhong_admin[1])

    assert [h["id"] for h in response.get_json()["items"]] == [flagged.id]
    assert sorted(h["id"] for h in not_zero.get_json()["items"]) == [h.id for h in others]
    assert all(h["zero_employment_since"] is None for h in not_zero.get_json()["items"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ZeroEmploymentCase)) == 1


# ---------------------------------------------------------------- 2. flag, then clear


def test_a_hire_from_the_jobs_module_clears_the_case(
    client, wechat_login, yuzhong_admin, make_employer, make_job
):
    _, seeker, _ = wechat_login()
    number = make_id_number(birth="19900315")
    profile = client.patch(
        ME,
        json={"name": "赵丽", "id_number": number, "community_code": YZ1, "employment_status": "unemployed"},
        headers=seeker,
    )
    assert profile.status_code == 200, profile.get_json()
    resident_id = profile.get_json()["id"]
    report = import_csv(
        client,
        yuzhong_admin[1],
        [
            f"HIRE-1,赵丽,{number},,昱中测试路9号,{YZ1},未就业,,是",
            f"HIRE-1,赵父,{make_id_number(birth='19500101')},,昱中测试路9号,{YZ1},退休,,否",
        ],
    )
    assert report.status_code == 200, report.get_json()
    household_id = db.session.get(Resident, resident_id).household_id
    assert household_id is not None and flag_of(household_id) == local_day()
    [case] = cases_of(household_id)
    assert case.cleared_at is None

    _, boss = make_employer()
    job_id = make_job(boss)
    applied = client.post(f"/api/v1/jobs/{job_id}/applications", json={}, headers=seeker)
    assert applied.status_code == 201, applied.get_json()
    application_id = applied.get_json()["id"]
    for status in ("interview", "hired"):
        moved = client.patch(f"/api/v1/applications/{application_id}", json={"status": status}, headers=boss)
        assert moved.status_code == 200, moved.get_json()

    assert db.session.get(Application, application_id).status == "hired"
    [case] = cases_of(household_id)
    assert case.cleared_at is not None and case.cleared_source == "hire"
    assert flag_of(household_id) is None
    detail = client.get(f"{HOUSEHOLDS}/{household_id}", headers=yuzhong_admin[1]).get_json()
    assert detail["zero_employment"] is False
    assert {m["name"]: m["employment_status"] for m in detail["members"]} == {
        "赵丽": "employed",
        "赵父": "retired",
    }
    still_open = client.get(CASES, query_string={"open": "true"}, headers=yuzhong_admin[1]).get_json()
    cleared = client.get(CASES, query_string={"open": "false"}, headers=yuzhong_admin[1]).get_json()
    assert still_open["total"] == 0 and still_open["items"] == []
    assert [(c["id"], c["cleared_source"]) for c in cleared["items"]] == [(case.id, "hire")]


def test_a_visit_clears_the_case_and_a_later_change_back_opens_a_new_one(client, worker, yuzhong_admin):
    household = make_household(YZ1, [("郑一", "unemployed", aged(35)), ("郑二", "student", aged(18))])
    member = member_named(household.id, "郑一")
    [first] = cases_of(household.id)
    assert first.assigned_to_id == worker[0].id

    result = visit(
        client, worker[1], household.id, [{"resident_id": member.id, "employment_status": "employed"}]
    )

    assert result["result"] == "applied" and result["status_changes"] == 1
    [first] = cases_of(household.id)
    assert first.cleared_at is not None and first.cleared_source == "visit"
    assert flag_of(household.id) is None
    cleared_at = first.cleared_at

    result = visit(
        client, worker[1], household.id, [{"resident_id": member.id, "employment_status": "unemployed"}]
    )

    assert result["result"] == "applied" and result["status_changes"] == 1
    old, new = cases_of(household.id)
    assert (old.id, old.cleared_at, old.cleared_source) == (first.id, cleared_at, "visit")
    assert new.cleared_at is None and new.cleared_source is None and new.assigned_to_id == worker[0].id
    assert flag_of(household.id) == local_day()
    history = client.get(f"{RESIDENTS}/{member.id}/status-history", headers=yuzhong_admin[1]).get_json()
    assert [(c["from_status"], c["to_status"], c["source"]) for c in history["changes"]] == [
        (None, "unemployed", "staff"),
        ("unemployed", "employed", "visit"),
        ("employed", "unemployed", "visit"),
    ]
    # Re-sending the same status changes nothing and opens nothing.
    again = visit(
        client, worker[1], household.id, [{"resident_id": member.id, "employment_status": "unemployed"}]
    )
    assert again["status_changes"] == 0
    assert len(cases_of(household.id)) == 2


def test_a_staff_update_by_import_clears_the_case_with_source_staff(client, yuzhong_admin):
    number = make_id_number(birth="19850505")
    row = f"ST-1,冯一,{number},,昱中测试路3号,{YZ1},{{}},,是"
    assert import_csv(client, yuzhong_admin[1], [row.format("unemployed")]).status_code == 200
    household = db.session.scalar(sa.select(Household).where(Household.key == "ST-1"))
    assert flag_of(household.id) == local_day()

    report = import_csv(client, yuzhong_admin[1], [row.format("employed")])

    assert report.get_json()["updated"] == 1
    [case] = cases_of(household.id)
    assert case.cleared_source == "staff" and case.cleared_at is not None
    assert flag_of(household.id) is None


def test_a_resident_reporting_work_clears_the_case_with_source_self(client, wechat_login, yuzhong_admin):
    _, seeker, _ = wechat_login()
    number = make_id_number(birth="19920202")
    client.patch(ME, json={"id_number": number, "community_code": YZ1}, headers=seeker)
    import_csv(client, yuzhong_admin[1], [f"SELF-1,褚一,{number},,昱中测试路4号,{YZ1},unemployed,,是"])
    household = db.session.scalar(sa.select(Household).where(Household.key == "SELF-1"))
    assert len(cases_of(household.id)) == 1

    response = client.patch(ME, json={"employment_status": "flexible"}, headers=seeker)

    assert response.status_code == 200, response.get_json()
    [case] = cases_of(household.id)
    assert case.cleared_source == "self" and flag_of(household.id) is None


# ---------------------------------------------------------------- cases: list, scope, one, actions


@pytest.fixture
def three_cases(places):
    """Open cases in 昱中一 (10 days) and 昱中二 (3 days), and a cleared one in 昱中一."""
    long_open = make_household(YZ1, [("陈一", "unemployed", aged(40)), ("陈子", "student", aged(12))])
    short_open = make_household(YZ2, [("韩一", "unemployed_registered", aged(50))])
    cleared = make_household(YZ1, [("杨一", "unemployed", aged(28))])
    member = member_named(cleared.id, "杨一")
    record_status(member, "employed", "staff")
    db.session.commit()
    for household, days in ((long_open, 10), (short_open, 3), (cleared, 20)):
        [case] = cases_of(household.id)
        case.opened_at = utcnow() - timedelta(days=days, minutes=5)
    [case] = cases_of(cleared.id)
    case.cleared_at = case.opened_at + timedelta(days=6, hours=1)
    db.session.commit()
    return {
        name: cases_of(h.id)[0].id
        for name, h in (("long", long_open), ("short", short_open), ("cleared", cleared))
    } | {"households": (long_open.id, short_open.id, cleared.id)}


def test_open_cases_are_listed_longest_open_first_with_days_open(client, yuzhong_admin, three_cases):
    response = client.get(CASES, query_string={"open": "true"}, headers=yuzhong_admin[1])

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["total"] == 2
    assert [(c["id"], c["days_open"]) for c in body["items"]] == [
        (three_cases["long"], 10),
        (three_cases["short"], 3),
    ]
    first = body["items"][0]
    assert first["cleared_at"] is None and first["cleared_source"] is None and first["actions"] == []
    household = first["household"]
    assert household["id"] == three_cases["households"][0]
    assert household["zero_employment"] is True
    assert household["community"]["code"] == YZ1
    assert sorted((m["name"], m["employment_status"]) for m in household["members"]) == [
        ("陈一", "unemployed"),
        ("陈子", "student"),
    ]
    # open defaults to true
    assert client.get(CASES, headers=yuzhong_admin[1]).get_json()["total"] == 2


def test_cleared_cases_and_the_community_filter(client, yuzhong_admin, three_cases):
    cleared = client.get(CASES, query_string={"open": "false"}, headers=yuzhong_admin[1]).get_json()
    in_yz2 = client.get(CASES, query_string={"community": YZ2}, headers=yuzhong_admin[1]).get_json()

    assert [(c["id"], c["cleared_source"], c["days_open"]) for c in cleared["items"]] == [
        (three_cases["cleared"], "staff", 6)
    ]
    assert cleared["items"][0]["household"]["zero_employment"] is False
    assert [c["id"] for c in in_yz2["items"]] == [three_cases["short"]]


def test_cases_are_scoped(client, staff_headers, make_staff, login, operator, three_cases):
    _, laojie = staff_headers("township_admin", "township", LAOJIE)
    _, district = staff_headers("district_admin", "district", "341002000000")
    grid_worker = make_staff("grid_worker", "township", YUZHONG)
    assign(client, operator[1], grid_worker, [YZ2])
    mine = login(grid_worker.username)

    assert client.get(CASES, headers=laojie).get_json()["total"] == 0
    assert client.get(CASES, query_string={"open": "false"}, headers=laojie).get_json()["total"] == 0
    assert client.get(CASES, headers=district).get_json()["total"] == 2
    assert [c["id"] for c in client.get(CASES, headers=mine).get_json()["items"]] == [three_cases["short"]]
    assert client.get(CASES, query_string={"open": "false"}, headers=mine).get_json()["total"] == 0
    for headers, case_id in ((laojie, three_cases["long"]), (mine, three_cases["long"]), (mine, 999_999)):
        response = client.get(f"{CASES}/{case_id}", headers=headers)
        assert response.status_code == 404
        assert error_of(response)["code"] == "case_not_found"
    assert client.get(f"{CASES}/{three_cases['short']}", headers=mine).status_code == 200


def test_residents_and_employers_cannot_see_cases(client, wechat_login, three_cases):
    _, resident, _ = wechat_login()

    assert client.get(CASES, headers=resident).status_code == 403
    assert client.get(CASES).status_code == 401


def test_one_case_and_its_assistance_actions(client, yuzhong_admin, make_employer, make_job, three_cases):
    _, boss = make_employer()
    job_id = make_job(boss)
    case_id = three_cases["long"]
    member = member_named(three_cases["households"][0], "陈一")

    recommended = client.post(
        f"{CASES}/{case_id}/actions",
        json={
            "kind": "job_recommended",
            "job_id": job_id,
            "resident_id": member.id,
            "note": "推荐茶叶分拣岗位",
        },
        headers=yuzhong_admin[1],
    )
    training = client.post(f"{CASES}/{case_id}/actions", json={"kind": "training"}, headers=yuzhong_admin[1])

    assert recommended.status_code == 201, recommended.get_json()
    body = recommended.get_json()
    assert (body["kind"], body["job_id"], body["resident_id"], body["note"], body["actor_id"]) == (
        "job_recommended",
        job_id,
        member.id,
        "推荐茶叶分拣岗位",
        yuzhong_admin[0].id,
    )
    assert training.status_code == 201, training.get_json()
    case = client.get(f"{CASES}/{case_id}", headers=yuzhong_admin[1])
    assert case.status_code == 200
    assert case.get_json()["days_open"] == 10
    assert [(a["id"], a["kind"], a["job_id"]) for a in case.get_json()["actions"]] == [
        (body["id"], "job_recommended", job_id),
        (training.get_json()["id"], "training", None),
    ]
    listed = client.get(CASES, headers=yuzhong_admin[1]).get_json()["items"]
    assert [len(c["actions"]) for c in listed] == [2, 0]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"kind": "cash_handout"}, "validation_error", "kind"),
        ({"note": "no kind"}, "validation_error", "kind"),
        ({"kind": "job_recommended", "job_id": 987_654}, "job_not_found", "job_id"),
        ({"kind": "job_recommended", "resident_id": "stranger"}, "not_a_member", "resident_id"),
        ({"kind": "other", "resident_id": 987_654}, "not_a_member", "resident_id"),
    ],
    ids=["bad-kind", "no-kind", "unknown-job", "resident-of-another-household", "unknown-resident"],
)
def test_bad_actions_are_422_and_write_nothing(client, yuzhong_admin, three_cases, body, code, field):
    if body.get("resident_id") == "stranger":
        body = {**body, "resident_id": member_named(three_cases["households"][1], "韩一").id}

    response = client.post(f"{CASES}/{three_cases['long']}/actions", json=body, headers=yuzhong_admin[1])

    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert error["code"] == code
    assert error["field"] == field and set(error["fields"]) == {field}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AssistanceAction)) == 0


def test_actions_outside_the_scope_are_404(client, staff_headers, make_staff, login, operator, three_cases):
    _, laojie = staff_headers("township_admin", "township", LAOJIE)
    grid_worker = make_staff("grid_worker", "township", YUZHONG)
    assign(client, operator[1], grid_worker, [YZ2])

    for headers in (laojie, login(grid_worker.username)):
        response = client.post(
            f"{CASES}/{three_cases['long']}/actions", json={"kind": "policy"}, headers=headers
        )
        assert response.status_code == 404
        assert error_of(response)["code"] == "case_not_found"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AssistanceAction)) == 0


# ---------------------------------------------------------------- 3. key groups with periods


def key_group_row(resident_id: int, group: str) -> ResidentKeyGroup | None:
    db.session.expire_all()
    return db.session.get(ResidentKeyGroup, (resident_id, group))


def listed_ids(client, headers, **query) -> set[int]:
    response = client.get(RESIDENTS, query_string={"per_page": 100, **query}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return {item["id"] for item in response.get_json()["items"]}


def test_registered_unemployed_follows_the_status(client, worker, yuzhong_admin):
    household = make_household(YZ1, [("蒋一", "unemployed", aged(45)), ("蒋二", "employed", aged(44))])
    member = member_named(household.id, "蒋一")
    today = local_day()

    result = visit(
        client,
        worker[1],
        household.id,
        [{"resident_id": member.id, "employment_status": "unemployed_registered"}],
    )

    assert result["result"] == "applied"
    row = key_group_row(member.id, "registered_unemployed")
    assert (row.since, row.until, row.source, row.verified_by_id) == (today, None, "visit", None)
    assert member.id in listed_ids(client, yuzhong_admin[1], key_group="registered_unemployed")
    detail = client.get(f"{RESIDENTS}/{member.id}", headers=yuzhong_admin[1]).get_json()
    assert detail["key_groups"] == ["registered_unemployed"]
    # Registered five days ago (a period ended the day it began never applied, and is removed).
    started = today - timedelta(days=5)
    row.since = started
    db.session.commit()

    visit(client, worker[1], household.id, [{"resident_id": member.id, "employment_status": "employed"}])

    row = key_group_row(member.id, "registered_unemployed")
    assert (row.since, row.until) == (started, today - timedelta(days=1))
    assert not row.is_current(today)
    detail = client.get(f"{RESIDENTS}/{member.id}", headers=yuzhong_admin[1]).get_json()
    assert detail["employment_status"] == "employed" and detail["key_groups"] == []
    assert member.id not in listed_ids(client, yuzhong_admin[1], key_group="registered_unemployed")
    history = client.get(f"{RESIDENTS}/{member.id}/status-history", headers=yuzhong_admin[1]).get_json()
    assert [(k["key_group"], k["since"], k["until"]) for k in history["key_groups"]] == [
        ("registered_unemployed", started.isoformat(), (today - timedelta(days=1)).isoformat())
    ]


def test_registered_unemployed_started_by_the_service_records_source_and_staff(
    app, make_resident, make_staff
):
    staff = make_staff("station_staff", "township", YUZHONG)
    resident = make_resident(YZ1, status="unemployed")

    record_status(resident, "unemployed_registered", "staff", actor=staff)
    db.session.commit()

    row = key_group_row(resident.id, "registered_unemployed")
    assert (row.since, row.until, row.source, row.verified_by_id) == (local_day(), None, "staff", None)
    assert db.session.get(Resident, resident.id).key_groups == ["registered_unemployed"]


def test_a_college_graduate_counts_for_two_years_from_since(client, wechat_login, yuzhong_admin):
    _, seeker, _ = wechat_login()
    today = local_day()

    response = client.patch(
        ME, json={"key_groups": ["college_graduate"], "community_code": YZ1}, headers=seeker
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["key_groups"] == ["college_graduate"]
    resident_id = response.get_json()["id"]
    row = key_group_row(resident_id, "college_graduate")
    expected_until = aged(-2) - timedelta(days=1)  # two years on, less a day
    assert (row.since, row.until, row.source, row.verified_by_id) == (today, expected_until, "self", None)
    assert row.is_current(today) and row.is_current(row.until)
    assert not row.is_current(row.until + timedelta(days=1))
    assert resident_id in listed_ids(client, yuzhong_admin[1], key_group="college_graduate")


def test_graduate_years_come_from_the_config(app, make_resident):
    app.config.update(GRADUATE_KEY_GROUP_YEARS=3)
    resident = make_resident(YZ1)

    row = add_key_group(resident, KeyGroup.college_graduate, "staff", since=date(2025, 7, 1))

    assert (row.since, row.until) == (date(2025, 7, 1), date(2028, 6, 30))


def test_hard_to_employ_is_only_set_by_staff_and_unverified_without_evidence(
    client, wechat_login, worker, yuzhong_admin
):
    _, seeker, _ = wechat_login()
    refused = client.patch(ME, json={"key_groups": ["hard_to_employ"]}, headers=seeker)
    assert refused.status_code == 422
    assert (error_of(refused)["code"], error_of(refused)["field"]) == (
        "key_group_not_self_declarable",
        "key_groups",
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResidentKeyGroup)) == 0

    household = make_household(YZ1, [("沈一", "unemployed", aged(50))])
    member = member_named(household.id, "沈一")
    result = visit(
        client, worker[1], household.id, [{"resident_id": member.id, "key_groups": ["hard_to_employ"]}]
    )
    assert result["result"] == "applied"
    number = make_id_number(birth="19700101")
    import_csv(
        client, yuzhong_admin[1], [f"HTE-1,韩二,{number},,昱中测试路5号,{YZ1},unemployed,就业困难人员,是"]
    )
    imported = db.session.scalar(sa.select(Resident).where(Resident.name == "韩二"))

    by_visit = key_group_row(member.id, "hard_to_employ")
    by_import = key_group_row(imported.id, "hard_to_employ")
    # Set by hand, without evidence: it counts, but only a certification verifies it (issue 18).
    assert (by_visit.source, by_visit.verified_by_id, by_visit.since) == ("visit", None, local_day())
    assert (by_import.source, by_import.verified_by_id) == ("staff", None)
    assert listed_ids(client, yuzhong_admin[1], key_group="hard_to_employ") == {member.id, imported.id}


def test_key_group_filter_lists_only_current_holders(client, yuzhong_admin, make_resident):
    today = local_day()
    current_graduate = make_resident(YZ1, name="新毕业", key_groups=["college_graduate"])
    old_graduate = make_resident(YZ1, name="老毕业")
    add_key_group(old_graduate, KeyGroup.college_graduate, "staff", since=today - timedelta(days=800))
    ended = make_resident(YZ1, name="曾登记", status="unemployed_registered")
    record_status(ended, "employed", "staff")
    registered = make_resident(YZ1, name="在登记", status="unemployed_registered")
    db.session.commit()
    assert key_group_row(old_graduate.id, "college_graduate").until < today

    assert listed_ids(client, yuzhong_admin[1], key_group="college_graduate") == {current_graduate.id}
    assert listed_ids(client, yuzhong_admin[1], key_group="registered_unemployed") == {registered.id}
    detail = client.get(f"{RESIDENTS}/{old_graduate.id}", headers=yuzhong_admin[1]).get_json()
    assert detail["key_groups"] == []


def test_the_import_keeps_registered_unemployed_with_the_status_whatever_the_cell_says(client, yuzhong_admin):
    registered = f"RU-1,卫一,{make_id_number(birth='19800808')},,昱中测试路6号,{YZ1},登记失业,,是"
    employed = f"RU-1,卫二,{make_id_number(birth='19810808')},,昱中测试路6号,{YZ1},employed,登记失业人员,否"
    assert import_csv(client, yuzhong_admin[1], [registered, employed]).status_code == 200
    first, second = (
        db.session.scalar(sa.select(Resident).where(Resident.name == n)) for n in ("卫一", "卫二")
    )
    assert first.key_groups == ["registered_unemployed"] and second.key_groups == []

    again = import_csv(client, yuzhong_admin[1], [registered, employed])

    assert again.get_json()["unchanged"] == 2, again.get_json()
    db.session.expire_all()
    first, second = db.session.get(Resident, first.id), db.session.get(Resident, second.id)
    assert first.employment_status == "unemployed_registered"
    assert first.key_groups == ["registered_unemployed"] and second.key_groups == []
    row = key_group_row(first.id, "registered_unemployed")
    assert (row.since, row.until, row.source) == (local_day(), None, "staff")


def test_key_groups_follow_the_citys_day_not_the_servers(client, monkeypatch, yuzhong_admin, make_resident):
    import app.models.residents as residents_models

    server_day = local_day() - timedelta(days=1)  # a UTC server between 00:00 and 08:00 Shanghai time

    class ServerDate(date):
        @classmethod
        def today(cls):
            return date.fromordinal(server_day.toordinal())

    monkeypatch.setattr(residents_models, "date", ServerDate)
    resident = make_resident(YZ1, status="unemployed_registered")
    record_status(resident, "employed", "staff")
    db.session.commit()

    detail = client.get(f"{RESIDENTS}/{resident.id}", headers=yuzhong_admin[1]).get_json()

    assert resident.id not in listed_ids(client, yuzhong_admin[1], key_group="registered_unemployed")
    assert detail["key_groups"] == []


def test_declaring_college_graduate_on_29_february(client, monkeypatch, wechat_login):
    import app.services.people.status as status_service

    monkeypatch.setattr(status_service, "local_day", lambda moment=None: date(2028, 2, 29))
    _, seeker, _ = wechat_login()

    response = client.patch(ME, json={"key_groups": ["college_graduate"]}, headers=seeker)

    assert response.status_code == 200
    row = key_group_row(response.get_json()["id"], "college_graduate")
    assert row.since == date(2028, 2, 29) and (row.until.year, row.until.month) == (2030, 2)


# ---------------------------------------------------------------- 4. the ledger


def month_label(day: date) -> str:
    return day.strftime("%Y-%m")


def previous_month(day: date, n: int = 1) -> date:
    index = day.year * 12 + day.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


@pytest.fixture
def ledger_people(places, make_resident):
    """昱中一: a zero household (registered unemployed + student) and one in work; 昱中二: a resident
    without a household; 老街一: a flexible household."""
    zero = make_household(YZ1, [("一甲", "unemployed_registered", aged(40)), ("一乙", "student", aged(15))])
    working = make_household(YZ1, [("二甲", "employed", aged(38)), ("二乙", "unemployed", aged(23))])
    for name, group in (("二甲", KeyGroup.migrant_worker), ("二乙", KeyGroup.college_graduate)):
        add_key_group(member_named(working.id, name), group, "staff")
    make_resident(YZ2, name="无户", status="unemployed", key_groups=["veteran"])
    make_household(LJ1, [("老甲", "flexible", aged(33))])
    db.session.commit()
    return {"zero": zero, "working": working}


def snapshots(month: str) -> dict[str, LedgerSnapshot]:
    """Return a month's snapshot rows by community code, as stored."""
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Community.code, LedgerSnapshot)
        .join(Community, Community.id == LedgerSnapshot.community_id)
        .where(LedgerSnapshot.month == month)
    )
    return {code: snap for code, snap in rows}


def test_snapshot_writes_one_row_per_community_with_counts(app, ledger_people):
    month = month_label(local_day())

    assert take_snapshot(month) == 3

    rows = snapshots(month)
    assert set(rows) == {YZ1, YZ2, LJ1}
    yz1 = rows[YZ1]
    assert (yz1.residents, yz1.households, yz1.zero_employment_households) == (4, 2, 1)
    assert yz1.by_status == {"unemployed_registered": 1, "student": 1, "employed": 1, "unemployed": 1}
    assert yz1.by_key_group == {"registered_unemployed": 1, "migrant_worker": 1, "college_graduate": 1}
    assert {name: getattr(yz1, name) for name in PLACE_COLUMNS} == place_columns(community_by_code(YZ1))
    yz2, lj1 = rows[YZ2], rows[LJ1]
    assert (yz2.residents, yz2.households, yz2.zero_employment_households) == (1, 0, 0)
    assert (yz2.by_status, yz2.by_key_group) == ({"unemployed": 1}, {"veteran": 1})
    assert (lj1.residents, lj1.households, lj1.zero_employment_households) == (1, 1, 0)
    assert lj1.by_status == {"flexible": 1} and lj1.by_key_group == {}


def test_snapshot_again_replaces_the_month(app, ledger_people):
    month = month_label(local_day())
    take_snapshot(month)
    record_status(member_named(ledger_people["working"].id, "二甲"), "unemployed", "staff")
    db.session.commit()

    assert take_snapshot(month) == 3

    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerSnapshot)) == 3
    yz1 = snapshots(month)[YZ1]
    assert yz1.zero_employment_households == 2
    assert yz1.by_status == {"unemployed_registered": 1, "student": 1, "unemployed": 2}


def test_snapshot_of_a_past_month_counts_only_what_held_at_its_end(app, ledger_people):
    month = month_label(previous_month(local_day()))

    assert take_snapshot(month) == 3

    yz1 = snapshots(month)[YZ1]
    # Cases and key groups that started this month did not hold at the end of the last one.
    assert yz1.zero_employment_households == 0 and yz1.by_key_group == {}
    assert yz1.residents == 4 and yz1.households == 2


def test_snapshot_ledger_command(runner, ledger_people):
    month = month_label(local_day())

    result = runner.invoke(args=["snapshot-ledger", "--month", month])
    again = runner.invoke(args=["snapshot-ledger", "--month", month])
    default = runner.invoke(args=["snapshot-ledger"])

    assert result.exit_code == 0, result.output
    assert "finished, 3 communities" in result.output
    assert again.exit_code == 0 and default.exit_code == 0, again.output + default.output
    assert set(snapshots(month)) == {YZ1, YZ2, LJ1}
    # The default run also gives last month its final figures, once: then it is frozen.
    last_month = month_label(previous_month(local_day()))
    assert set(snapshots(last_month)) == {YZ1, YZ2, LJ1}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerSnapshot)) == 6
    frozen = runner.invoke(args=["snapshot-ledger", "--month", last_month])
    assert frozen.exit_code != 0 and "frozen" in frozen.output


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "May", "2026/05"])
def test_snapshot_ledger_command_refuses_a_bad_month(runner, ledger_people, month):
    result = runner.invoke(args=["snapshot-ledger", "--month", month])

    assert result.exit_code != 0
    assert "YYYY-MM" in result.output and "--month" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerSnapshot)) == 0


@pytest.fixture
def two_months(app, ledger_people):
    """Snapshots of last month and this month: (last month label, this month label)."""
    this, last = month_label(local_day()), month_label(previous_month(local_day()))
    take_snapshot(last)
    take_snapshot(this)
    return last, this


def test_ledger_trend_sums_the_months_over_the_callers_place(
    client, yuzhong_admin, staff_headers, two_months
):
    last, this = two_months
    _, laojie = staff_headers("township_admin", "township", LAOJIE)
    _, operator = staff_headers("operator", "circle", CHENGZHONG)

    mine = client.get(SNAPSHOTS, query_string={"from": last, "to": this}, headers=yuzhong_admin[1])
    theirs = client.get(SNAPSHOTS, query_string={"from": last, "to": this}, headers=laojie)
    circle = client.get(SNAPSHOTS, query_string={"from": this, "to": this}, headers=operator)

    assert mine.status_code == 200, mine.get_json()
    items = mine.get_json()["items"]
    assert [item["month"] for item in items] == [last, this]
    now = items[1]
    assert (now["communities"], now["residents"], now["households"], now["zero_employment_households"]) == (
        2,
        5,
        2,
        1,
    )
    assert now["by_status"] == {"unemployed_registered": 1, "student": 1, "employed": 1, "unemployed": 2}
    assert now["by_key_group"] == {
        "registered_unemployed": 1,
        "migrant_worker": 1,
        "college_graduate": 1,
        "veteran": 1,
    }
    assert items[0]["zero_employment_households"] == 0 and items[0]["by_key_group"] == {}
    [lj] = [item for item in theirs.get_json()["items"] if item["month"] == this]
    assert (lj["communities"], lj["residents"], lj["by_status"]) == (1, 1, {"flexible": 1})
    [all_three] = circle.get_json()["items"]
    assert (all_three["communities"], all_three["residents"]) == (3, 6)


def test_ledger_trend_for_one_community_and_one_month(client, yuzhong_admin, two_months):
    last, this = two_months

    response = client.get(
        SNAPSHOTS, query_string={"from": this, "to": this, "community": YZ2}, headers=yuzhong_admin[1]
    )
    outside = client.get(
        SNAPSHOTS, query_string={"from": this, "to": this, "community": LJ1}, headers=yuzhong_admin[1]
    )

    assert [(i["month"], i["communities"], i["residents"]) for i in response.get_json()["items"]] == [
        (this, 1, 1)
    ]
    assert outside.status_code == 200 and outside.get_json()["items"] == []


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({"from": "2026-06", "to": "2026-05"}, "invalid_month_range", "from"),
        ({"from": "2026-13", "to": "2026-05"}, "invalid_month", "from"),
        ({"from": "2026-01", "to": "26-05"}, "invalid_month", "to"),
        ({"to": "2026-00"}, "invalid_month", "to"),
    ],
    ids=["from-after-to", "bad-from", "bad-to", "month-zero"],
)
def test_ledger_trend_refuses_bad_months(client, yuzhong_admin, places, query, code, field):
    response = client.get(SNAPSHOTS, query_string=query, headers=yuzhong_admin[1])

    assert response.status_code == 422, response.get_json()
    assert (error_of(response)["code"], error_of(response)["field"]) == (code, field)


def test_ledger_trend_is_for_staff_only(client, wechat_login, places):
    _, resident, _ = wechat_login()

    assert client.get(SNAPSHOTS, headers=resident).status_code == 403
    assert client.get(SNAPSHOTS).status_code == 401


def test_ledger_trend_defaults_to_the_last_twelve_months(client, yuzhong_admin, ledger_people):
    this = local_day()
    for n in (0, 11, 12):
        take_snapshot(month_label(previous_month(this, n)))

    response = client.get(SNAPSHOTS, headers=yuzhong_admin[1])

    assert [item["month"] for item in response.get_json()["items"]] == [
        month_label(previous_month(this, 11)),
        month_label(this),
    ]


# ---------------------------------------------------------------- 5. demo data


def test_demo_data_gives_every_demo_community_households_a_zero_household_and_a_grid_worker(
    app, client, runner, places
):
    app.config.update(DEMO_ACCOUNTS=True, DEMO_PASSWORD=DEMO_PASSWORD)
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    codes = [row["code"] for row in csv.DictReader(DEMO_COMMUNITIES.read_text(encoding="utf-8").splitlines())]
    assert len(codes) == 18

    for code in codes:
        community = community_by_code(code)
        households = list(
            db.session.scalars(sa.select(Household).where(Household.community_id == community.id))
        )
        assert len(households) == 3, code
        members = [m for h in households for m in h.members]
        assert len({m.employment_status for m in members}) >= 4, code
        assert {g for m in members for g in m.key_groups} >= {"college_graduate", "hard_to_employ"}, code
        assert all(m.birth_date is not None for m in members), code
        zero = [h for h in households if h.zero_employment_since is not None]
        assert len(zero) == 1, code
        workers = list(
            db.session.scalars(
                sa.select(Account)
                .join(GridAssignment, GridAssignment.account_id == Account.id)
                .where(GridAssignment.community_id == community.id, Account.role == "grid_worker")
            )
        )
        assert len(workers) == 1, code
        [case] = cases_of(zero[0].id)
        assert case.cleared_at is None and case.assigned_to_id == workers[0].id, code
        route = checklist(workers[0], None, None, 50)
        assert route["remaining"] == 3 and len(route["items"]) == 3, code
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ZeroEmploymentCase)) == 18

    # One of them, through the API, after logging in with the demo password.
    token = client.post(
        "/api/v1/auth/login", json={"username": "demo-grid-341002004001", "password": DEMO_PASSWORD}
    )
    assert token.status_code == 200, token.get_json()
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    listed = client.get("/api/v1/grid/checklist", headers=headers).get_json()
    assert listed["remaining"] == 3 and {i["household"]["community"]["code"] for i in listed["items"]} == {
        LJ1
    }
    cases = client.get(CASES, headers=headers).get_json()
    assert cases["total"] == 1 and cases["items"][0]["household"]["community"]["code"] == LJ1

    # Running it again adds nothing.
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Household)) == 54
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ZeroEmploymentCase)) == 18
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StatusChange)) == 6 + 18 * 8


def test_a_grid_worker_assigned_later_picks_up_the_unassigned_open_cases(
    client, make_staff, operator, places
):
    nobody = make_household(LJ1, [("吴一", "unemployed", aged(30))])
    assert [c.assigned_to_id for c in cases_of(nobody.id)] == [None]
    worker = make_staff("grid_worker", "township", "341002004000")

    assign(client, operator[1], worker, [LJ1])

    assert [c.assigned_to_id for c in cases_of(nobody.id)] == [worker.id]


def test_zero_employment_cases_follow_the_assignments(client, make_staff, operator):
    a = make_staff("grid_worker", "township", YUZHONG)
    b = make_staff("grid_worker", "township", YUZHONG)
    assign(client, operator[1], a, [YZ1])
    first = new_household(YZ1, [("unemployed", "19900101")])
    nobodys = new_household(YZ2, [("unemployed", "19900101")])
    [case] = cases_of(first.id)
    assert case.assigned_to_id == a.id
    assert [c.assigned_to_id for c in cases_of(nobodys.id)] == [None]

    assign(client, operator[1], a, [YZ2])

    assert [c.assigned_to_id for c in cases_of(first.id)] == [None]  # nobody works 昱中一 now
    assert [c.assigned_to_id for c in cases_of(nobodys.id)] == [a.id]

    assign(client, operator[1], b, [YZ1])

    assert [c.assigned_to_id for c in cases_of(first.id)] == [b.id]
    assert [c.assigned_to_id for c in cases_of(nobodys.id)] == [a.id]


def test_supervisors_watch_and_cleared_cases_take_no_more_actions(client, staff_headers, three_cases):
    _, supervisor = staff_headers("supervisor", "circle", CHENGZHONG)
    _, admin = staff_headers("township_admin", "township", YUZHONG)
    body = {"kind": "training", "note": "推荐参加培训"}

    by_supervisor = client.post(f"{CASES}/{three_cases['long']}/actions", json=body, headers=supervisor)
    on_cleared = client.post(f"{CASES}/{three_cases['cleared']}/actions", json=body, headers=admin)

    assert by_supervisor.status_code == 403 and error_of(by_supervisor)["code"] == "role_forbidden"
    assert on_cleared.status_code == 409 and error_of(on_cleared)["code"] == "case_cleared"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AssistanceAction)) == 0
