"""Households: the ledger import (CSV/XLSX, report, re-import), lists in scope, grid-worker assignment."""

import csv
import io
import zipfile
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from app.common.crypto import decrypt, lookup_hash
from app.common.identity import mask_address
from app.extensions import db
from app.models import (
    AuditEvent,
    Community,
    GridAssignment,
    Household,
    Resident,
    ResidentKeyGroup,
    StatusChange,
    utcnow,
)
from app.services.grid.ledger_file import read_rows
from tests.conftest import make_id_number
from tests.support import count, error_of

IMPORT = "/api/v1/imports/households"
TEMPLATE = "/api/v1/imports/households/template"
HOUSEHOLDS = "/api/v1/households"
ME = "/api/v1/me"
COLUMNS = [
    "household_key",
    "name",
    "id_number",
    "phone",
    "address",
    "community_code",
    "employment_status",
    "key_groups",
    "is_head",
]
REQUIRED_COLUMNS = ["household_key", "name", "id_number", "community_code"]
CHINESE_HEADER = ["户编号", "姓名", "身份证号", "手机号", "地址", "社区代码", "就业状态", "重点群体", "户主"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

YUZHONG_ADMIN = ("township_admin", "township", "341002002000")
LAOJIE_ADMIN = ("township_admin", "township", "341002004000")
CHENGZHONG_OPERATOR = ("operator", "circle", "341002-chengzhong")
YUZHONG_1, YUZHONG_2, LAOJIE_1, YUDONG_1 = "341002002001", "341002002002", "341002004001", "341002001001"
ADDRESS = "屯溪区昱中街道黄山西路12号3单元502室"


# --- helpers ---------------------------------------------------------------------------------


def row(**fields) -> dict:
    """Return one good ledger row (a fresh ID number, in 昱中一社区) with overrides."""
    return {
        "household_key": "YZ-001",
        "name": "张伟",
        "id_number": make_id_number(birth="19850420"),
        "phone": "13800000001",
        "address": ADDRESS,
        "community_code": YUZHONG_1,
        "employment_status": "employed",
        "key_groups": "",
        "is_head": "是",
        **fields,
    }


def csv_file(rows, header=COLUMNS, encoding="utf-8", names=COLUMNS) -> bytes:
    """Write rows (dicts keyed by `names`, or None for a blank line) as CSV under `header`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for values in rows:
        writer.writerow([] if values is None else [values.get(name, "") for name in names])
    return buffer.getvalue().encode(encoding)


def upload(client, headers, data: bytes, filename="ledger.csv"):
    """POST a file to the import."""
    return client.post(
        IMPORT,
        data={"file": (io.BytesIO(data), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )


def imported(client, headers, rows, header=COLUMNS, names=None) -> dict:
    """Import rows as CSV under `header` (its own names, or what `names` says) and return the report."""
    response = upload(client, headers, csv_file(rows, header, names=names or header))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def resident_by_number(number: str) -> Resident | None:
    """Load a resident by ID number (through its HMAC, as the import matches)."""
    return db.session.scalar(
        sa.select(Resident).where(Resident.id_number_hmac == lookup_hash(number, "id_number"))
    )


def household(code: str, key: str) -> Household | None:
    """Load a household by community code and key."""
    return db.session.scalar(
        sa.select(Household)
        .join(Community, Community.id == Household.community_id)
        .where(Community.code == code, Household.key == key)
    )


def community_code(community_id: int | None) -> str | None:
    """Return a community's code."""
    return None if community_id is None else db.session.get(Community, community_id).code


def changes_of(resident: Resident) -> list[StatusChange]:
    """Return a resident's status changes, oldest first."""
    return list(
        db.session.scalars(
            sa.select(StatusChange).where(StatusChange.resident_id == resident.id).order_by(StatusChange.id)
        )
    )


def households_in(code: str) -> list[Household]:
    """Return the households of a community, as stored."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Household)
            .join(Community, Community.id == Household.community_id)
            .where(Community.code == code)
            .order_by(Household.id)
        )
    )


def counts_of(report: dict) -> tuple:
    """Return (imported, updated, unchanged, households_created) of an import report."""
    return tuple(report[k] for k in ("imported", "updated", "unchanged", "households_created"))


def rejected_summary(report: dict) -> dict:
    """Return {line: [(column, code), ...]} of a report's rejected rows."""
    return {item["line"]: [(e["column"], e["code"]) for e in item["errors"]] for item in report["rejected"]}


def age(birth: date) -> int:
    """Return the age in whole years today."""
    today = utcnow().date()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def bad_check_character(number: str) -> str:
    """Return the number with a wrong check character."""
    return number[:17] + ("1" if number[17] != "1" else "2")


def xlsx_file(table: list[list]) -> bytes:
    """Write a table (header first) as an XLSX workbook."""
    book = Workbook()
    for cells in table:
        book.active.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- import: a mixed file ----------------------------------------------------------------------


def test_import_mixed_file_imports_good_rows_and_reports_bad_ones(client, staff_headers, make_resident):
    admin, headers = staff_headers(*YUZHONG_ADMIN)
    other_area = make_id_number()
    make_resident(community_code=YUDONG_1, id_number=other_area, name="昱东居民")
    head, member, veteran = (
        make_id_number(birth="19800315"),
        make_id_number(birth="20000520"),
        make_id_number(birth="19751010"),
    )
    rows = [
        row(household_key="YZ-1", name="张伟", id_number=head, employment_status="unemployed"),  # line 2
        row(  # line 3
            household_key="YZ-1",
            name="张小红",
            id_number=member,
            phone="",
            employment_status="unemployed_registered",
            key_groups="college_graduate;hard_to_employ",
            is_head="否",
        ),
        row(name=""),  # 4
        row(id_number=bad_check_character(make_id_number())),  # 5
        row(phone="12345678901"),  # 6
        row(community_code="341002002099"),  # 7
        row(community_code=LAOJIE_1),  # 8: 老街, not the importer's township
        row(employment_status="working_hard"),  # 9
        row(key_groups="college_graduate;astronaut"),  # 10
        row(is_head="maybe"),  # 11
        row(id_number=head, name="张伟"),  # 12: line 2's ID number again
        row(id_number=other_area),  # 13: registered in 昱东
        None,  # 14: blank, skipped but counted
        row(  # 15
            household_key="YZ-2",
            name="李军",
            id_number=veteran,
            phone="13900000002",
            address="",
            community_code=YUZHONG_2,
            employment_status="employed",
            key_groups="veteran",
        ),
        row(household_key="", name="", id_number="", community_code=""),  # 16
        row(phone="123", employment_status="boss", is_head="x"),  # 17: three errors in one row
    ]
    response = upload(client, headers, csv_file(rows))
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert {k: report[k] for k in ("imported", "updated", "unchanged", "households_created")} == {
        "imported": 3,
        "updated": 0,
        "unchanged": 0,
        "households_created": 2,
    }
    assert rejected_summary(report) == {
        4: [("name", "required")],
        5: [("id_number", "invalid_id_number")],
        6: [("phone", "invalid_phone")],
        7: [("community_code", "unknown_community")],
        8: [("community_code", "community_out_of_scope")],
        9: [("employment_status", "invalid_status")],
        10: [("key_groups", "invalid_key_group")],
        11: [("is_head", "invalid_flag")],
        12: [("id_number", "duplicate_in_file")],
        13: [("id_number", "resident_out_of_scope")],
        16: [
            ("household_key", "required"),
            ("name", "required"),
            ("id_number", "required"),
            ("community_code", "required"),
        ],
        17: [
            ("employment_status", "invalid_status"),
            ("is_head", "invalid_flag"),
            ("phone", "invalid_phone"),
        ],
    }
    assert all(error["message"] for item in report["rejected"] for error in item["errors"])
    duplicate = next(item for item in report["rejected"] if item["line"] == 12)
    assert "line 2" in duplicate["errors"][0]["message"]

    # Rows written: exactly the good ones.
    assert count(Resident) == 4  # three imported, plus the 昱东 resident made before
    assert count(Household) == 2
    first, second = household(YUZHONG_1, "YZ-1"), household(YUZHONG_2, "YZ-2")
    assert first.address == ADDRESS and second.address is None
    assert first.township_id == second.township_id == admin.scope_id

    resident = resident_by_number(head)
    assert resident.name == "张伟"
    assert decrypt(resident.id_number_enc, "id_number") == head
    assert head.encode() not in resident.id_number_enc
    assert resident.id_number_hint == head[:4] + "*" * 10 + head[-4:]
    assert decrypt(resident.phone_enc, "phone") == "13800000001"
    assert resident.phone_hint == "138****0001"
    assert resident.phone_hmac == lookup_hash("13800000001", "phone")
    assert resident.birth_date == date(1980, 3, 15)
    assert community_code(resident.community_id) == YUZHONG_1
    assert resident.township_id == admin.scope_id
    assert resident.household_id == first.id and resident.is_household_head is True
    assert resident.home_address == ADDRESS
    assert resident.employment_status == "unemployed" and resident.key_groups == []

    young = resident_by_number(member)
    assert young.name == "张小红" and young.household_id == first.id
    assert young.is_household_head is False
    assert young.phone_enc is None and young.phone_hint is None
    assert young.employment_status == "unemployed_registered"
    # The registered_unemployed group follows the status.
    assert young.key_groups == ["college_graduate", "hard_to_employ", "registered_unemployed"]
    for group_row in young.key_group_rows:
        # Imported by staff without evidence: counts, but not certified (issue 18).
        assert group_row.source == "staff" and group_row.verified_by_id is None
        assert group_row.since is not None
    graduate = next(r for r in young.key_group_rows if r.key_group == "college_graduate")
    assert graduate.until == graduate.since.replace(year=graduate.since.year + 2) - timedelta(days=1)

    soldier = resident_by_number(veteran)
    assert soldier.household_id == second.id and soldier.is_household_head is True
    assert community_code(soldier.community_id) == YUZHONG_2
    assert soldier.key_groups == ["veteran"] and soldier.employment_status == "employed"

    for person, status in ((resident, "unemployed"), (young, "unemployed_registered"), (soldier, "employed")):
        [change] = changes_of(person)
        assert (change.from_status, change.to_status) == (None, status)
        assert (change.source, change.note, change.actor_id) == ("staff", "import", admin.id)

    # The 昱东 resident is left alone.
    stranger = resident_by_number(other_area)
    assert stranger.name == "昱东居民" and community_code(stranger.community_id) == YUDONG_1
    assert stranger.household_id is None

    # Zero-employment flags are recomputed once the rows are in.
    assert first.zero_employment_since is not None
    assert second.zero_employment_since is None

    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "households.import"))
    assert event.actor_id == admin.id and event.outcome == "success"
    assert event.detail == {
        "file": "ledger.csv",
        "imported": 3,
        "updated": 0,
        "unchanged": 0,
        "households_created": 2,
        "rejected": 12,
        "conflicts": 0,
    }


def test_a_file_of_only_bad_rows_writes_nothing_but_the_report(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    report = imported(client, headers, [row(phone="1"), row(community_code=YUDONG_1)])
    assert report["imported"] == 0 and report["households_created"] == 0
    assert rejected_summary(report) == {
        2: [("phone", "invalid_phone")],
        3: [("community_code", "community_out_of_scope")],
    }
    assert count(Resident) == count(Household) == count(StatusChange) == 0
    assert count(AuditEvent, AuditEvent.action == "households.import") == 1


@pytest.mark.parametrize(
    "scope",
    [
        CHENGZHONG_OPERATOR,
        ("operator", "district", "341002000000"),
        ("station_staff", "township", "341002002000"),
        ("district_admin", "district", "341002000000"),
        ("city_admin", "city", "341000000000"),
    ],
)
def test_staff_in_scope_may_import(client, staff_headers, scope):
    actor, headers = staff_headers(*scope)
    number = make_id_number()
    report = imported(client, headers, [row(id_number=number)])
    assert report["imported"] == 1 and report["rejected"] == []
    [change] = changes_of(resident_by_number(number))
    assert change.actor_id == actor.id


def test_operator_of_another_circle_gets_community_out_of_scope(client, staff_headers):
    _, headers = staff_headers("operator", "circle", "341002-chengdong")
    report = imported(client, headers, [row(community_code=YUZHONG_1), row(community_code=YUDONG_1)])
    assert report["imported"] == 1
    assert rejected_summary(report) == {2: [("community_code", "community_out_of_scope")]}
    assert [community_code(r.community_id) for r in db.session.scalars(sa.select(Resident))] == [YUDONG_1]


def test_grid_worker_imports_only_into_assigned_communities(client, staff_headers, make_staff, login):
    _, operator = staff_headers(*CHENGZHONG_OPERATOR)
    worker = make_staff("grid_worker", "township", "341002002000")
    headers = login(worker.username)
    report = imported(client, headers, [row(community_code=YUZHONG_1)])
    assert rejected_summary(report) == {2: [("community_code", "community_out_of_scope")]}
    assign = client.put(
        f"/api/v1/grid-workers/{worker.id}/communities",
        json={"community_codes": [YUZHONG_1]},
        headers=operator,
    )
    assert assign.status_code == 200
    report = imported(client, headers, [row(community_code=YUZHONG_1), row(community_code=YUZHONG_2)])
    assert report["imported"] == 1
    assert rejected_summary(report) == {3: [("community_code", "community_out_of_scope")]}


def test_a_row_out_of_scope_says_nothing_about_an_id_number_registered_elsewhere(
    client, staff_headers, make_resident
):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    elsewhere = make_id_number()
    make_resident(community_code=YUDONG_1, id_number=elsewhere, name="昱东居民")

    report = imported(client, headers, [row(community_code=LAOJIE_1, id_number=elsewhere)])

    assert rejected_summary(report) == {2: [("community_code", "community_out_of_scope")]}
    stranger = resident_by_number(elsewhere)
    assert stranger.name == "昱东居民" and stranger.household_id is None


# --- import: re-import -----------------------------------------------------------------------


def _ledger() -> list[dict]:
    return [
        row(household_key="A", name="王一", id_number=make_id_number(birth="19700101"), phone="13800000011"),
        row(
            household_key="A",
            name="王二",
            id_number=make_id_number(birth="19950202"),
            phone="13800000012",
            employment_status="unemployed",
            key_groups="college_graduate;migrant_worker",
            is_head="否",
        ),
        row(
            household_key="B",
            name="赵三",
            id_number=make_id_number(birth="19880808"),
            phone="13800000013",
            community_code=YUZHONG_2,
            employment_status="flexible",
            key_groups="flexible_worker",
        ),
        row(phone="not-a-phone"),
    ]


def _row_counts() -> tuple:
    return (count(Resident), count(Household), count(StatusChange), count(ResidentKeyGroup))


def test_reimport_of_the_same_file_changes_nothing(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    data = csv_file(_ledger())
    first = upload(client, headers, data).get_json()
    assert (first["imported"], first["households_created"]) == (3, 2)
    before = _row_counts()
    assert before == (3, 2, 3, 3)
    again = upload(client, headers, data)
    assert again.status_code == 200
    report = again.get_json()
    assert {k: report[k] for k in ("imported", "updated", "unchanged", "households_created")} == {
        "imported": 0,
        "updated": 0,
        "unchanged": 3,
        "households_created": 0,
    }
    assert rejected_summary(report) == {5: [("phone", "invalid_phone")]}
    assert _row_counts() == before
    assert count(AuditEvent, AuditEvent.action == "households.import") == 2


def test_reimport_with_a_changed_phone_or_status_updates_one_resident(client, staff_headers):
    admin, headers = staff_headers(*YUZHONG_ADMIN)
    rows = _ledger()[:3]
    imported(client, headers, rows)
    changes_before = count(StatusChange)

    rows[0]["phone"] = "13900009999"
    report = imported(client, headers, rows)
    assert (report["imported"], report["updated"], report["unchanged"]) == (0, 1, 2)
    person = resident_by_number(rows[0]["id_number"])
    assert decrypt(person.phone_enc, "phone") == "13900009999" and person.phone_hint == "139****9999"
    assert count(StatusChange) == changes_before  # a phone is not a status change
    assert count(Resident) == 3 and count(Household) == 2

    rows[1]["employment_status"] = "employed"
    report = imported(client, headers, rows)
    assert (report["imported"], report["updated"], report["unchanged"]) == (0, 1, 2)
    assert count(StatusChange) == changes_before + 1
    person = resident_by_number(rows[1]["id_number"])
    assert person.employment_status == "employed"
    last = changes_of(person)[-1]
    assert (last.from_status, last.to_status, last.source, last.note) == (
        "unemployed",
        "employed",
        "staff",
        "import",
    )
    assert last.actor_id == admin.id
    assert count(Resident) == 3 and count(Household) == 2


def test_reimport_of_registered_unemployed_row_is_unchanged(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    number = make_id_number(birth="19900303")
    rows = [row(id_number=number, employment_status="登记失业", key_groups="")]
    first = imported(client, headers, rows)
    assert first["imported"] == 1
    assert resident_by_number(number).key_groups == ["registered_unemployed"]
    again = imported(client, headers, rows)
    assert (again["updated"], again["unchanged"]) == (0, 1)
    person = resident_by_number(number)
    assert person.employment_status == "unemployed_registered"
    assert person.key_groups == ["registered_unemployed"]


def test_reimport_moves_the_head_of_the_household(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    rows = _ledger()[:2]
    imported(client, headers, rows)
    rows[0]["is_head"], rows[1]["is_head"] = "否", "是"
    report = imported(client, headers, rows)
    assert report["updated"] == 2
    heads = [resident_by_number(r["id_number"]).is_household_head for r in rows]
    assert heads == [False, True]


def test_a_reimport_with_only_the_required_columns_keeps_groups_and_head(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    head = row(employment_status="unemployed", key_groups="veteran;migrant_worker", is_head="是")
    member = row(name="张二", id_number=make_id_number(birth="19900101"), is_head="否")
    assert counts_of(imported(client, headers, [head, member])) == (2, 0, 0, 1)
    before = (count(StatusChange), count(ResidentKeyGroup))

    again = imported(client, headers, [head], header=REQUIRED_COLUMNS)
    renamed = imported(client, headers, [{**head, "name": "张伟伟"}], header=REQUIRED_COLUMNS)

    assert counts_of(again) == (0, 0, 1, 0) and again["rejected"] == []
    assert counts_of(renamed) == (0, 1, 0, 0)
    person = resident_by_number(head["id_number"])
    assert person.name == "张伟伟"
    assert person.key_groups == ["migrant_worker", "veteran"]
    assert person.is_household_head is True
    assert resident_by_number(member["id_number"]).is_household_head is False
    assert person.employment_status == "unemployed" and person.phone_hint == "138****0001"
    assert (count(StatusChange), count(ResidentKeyGroup)) == before


def test_household_keys_are_case_blind(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    first = row(household_key="yz-001")
    second = row(household_key="YZ-001", name="张二", id_number=make_id_number(), is_head="否")

    assert counts_of(imported(client, headers, [first])) == (1, 0, 0, 1)
    assert counts_of(imported(client, headers, [second])) == (1, 0, 0, 0)

    [home] = households_in(YUZHONG_1)
    assert home.key == "YZ-001"
    assert {resident_by_number(r["id_number"]).household_id for r in (first, second)} == {home.id}


def test_relisting_college_graduate_after_the_period_ended_does_not_restart_it(
    client, wechat_login, staff_headers
):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    _, seeker, _ = wechat_login()
    number = make_id_number(birth="19980101")
    profile = {"name": "李毕业", "id_number": number, "community_code": YUZHONG_1}
    declared = client.patch(ME, json={**profile, "key_groups": ["college_graduate"]}, headers=seeker)
    assert declared.status_code == 200, declared.get_json()
    resident_id = declared.get_json()["id"]
    row = db.session.get(ResidentKeyGroup, (resident_id, "college_graduate"))
    row.since, row.until = date(2020, 7, 1), date(2022, 6, 30)
    db.session.commit()

    again = client.patch(ME, json={"key_groups": ["college_graduate"]}, headers=seeker)
    report = imported(
        client,
        headers,
        [
            {
                "household_key": "GR-1",
                "name": "李毕业",
                "id_number": number,
                "community_code": YUZHONG_1,
                "key_groups": "college_graduate",
            }
        ],
        header=[*REQUIRED_COLUMNS, "key_groups"],
    )

    assert again.status_code == 200, again.get_json()
    assert again.get_json()["key_groups"] == []
    assert report["rejected"] == []
    db.session.expire_all()
    assert db.session.get(Resident, resident_id).key_groups == []
    row = db.session.get(ResidentKeyGroup, (resident_id, "college_graduate"))
    assert (row.since, row.until) == (date(2020, 7, 1), date(2022, 6, 30))


# --- import: Chinese, GB18030, XLSX ---------------------------------------------------------------


def _chinese_rows() -> list[dict]:
    return [
        row(
            household_key="户-1",
            name="王芳",
            id_number=make_id_number(birth="19820607"),
            employment_status="就业",
            key_groups="农民工",
            is_head="是",
        ),
        row(
            household_key="户-1",
            name="王小明",
            id_number=make_id_number(birth="20010909"),
            phone="13700000007",
            employment_status="登记失业",
            key_groups="高校毕业生、就业困难人员",
            is_head="否",
        ),
        row(
            household_key="户-2",
            name="陈静",
            id_number=make_id_number(birth="19781111"),
            phone="15900000008",
            employment_status="灵活就业",
            key_groups="退役军人；灵活就业人员",
            is_head="户主",
        ),
        row(name="孙强", employment_status="打工", key_groups="宇航员"),
    ]


def _assert_chinese_import(report: dict, rows: list[dict]) -> None:
    assert (report["imported"], report["households_created"]) == (3, 2)
    assert rejected_summary(report) == {
        5: [("employment_status", "invalid_status"), ("key_groups", "invalid_key_group")]
    }
    people = [resident_by_number(r["id_number"]) for r in rows[:3]]
    assert [p.name for p in people] == ["王芳", "王小明", "陈静"]
    assert [p.employment_status for p in people] == ["employed", "unemployed_registered", "flexible"]
    assert [p.key_groups for p in people] == [
        ["migrant_worker"],
        ["college_graduate", "hard_to_employ", "registered_unemployed"],
        ["flexible_worker", "veteran"],
    ]
    assert [p.is_household_head for p in people] == [True, False, True]
    assert household(YUZHONG_1, "户-1").address == ADDRESS
    assert {p.household_id for p in people[:2]} == {household(YUZHONG_1, "户-1").id}


def test_chinese_headers_and_words_are_accepted(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    rows = _chinese_rows()
    response = upload(client, headers, csv_file(rows, header=CHINESE_HEADER))
    assert response.status_code == 200, response.get_json()
    _assert_chinese_import(response.get_json(), rows)


def test_other_chinese_header_spellings_and_a_bom(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    header = ["户号", "姓名", "身份证号码", "联系电话", "住址", "社区代码", "就业状态", "重点群体", "户主"]
    number = make_id_number()
    data = "\ufeff".encode() + csv_file([row(id_number=number, phone="13600000006")], header=header)
    report = upload(client, headers, data).get_json()
    assert report["imported"] == 1, report
    person = resident_by_number(number)
    assert decrypt(person.phone_enc, "phone") == "13600000006" and person.home_address == ADDRESS


def test_lat_and_lng_columns_locate_the_household_and_a_bad_one_rejects_the_row(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    names = [*COLUMNS, "lat", "lng"]
    rows = [
        row(household_key="LOC-1", lat="29.7171", lng="118.3191"),  # line 2
        row(household_key="BAD-1", lat="north", lng="118.3191"),  # 3
        row(household_key="BAD-2", lat="29.7171", lng=""),  # 4: half a point
        row(household_key="BAD-3", lat="118.3191", lng="29.7171"),  # 5: swapped
        row(household_key="NONE-1"),  # 6: no point, no error
    ]
    report = imported(client, headers, rows, header=names)
    chinese = imported(
        client,
        headers,
        [row(household_key="LOC-2", lat="29.7150", lng="118.3170", community_code=YUZHONG_2)],
        header=[
            "户编号",
            "姓名",
            "身份证号",
            "手机号",
            "地址",
            "社区代码",
            "就业状态",
            "重点群体",
            "户主",
            "纬度",
            "经度",
        ],
        names=names,
    )

    assert report["imported"] == 2 and chinese["imported"] == 1
    assert rejected_summary(report) == {
        3: [("lat", "invalid_location")],
        4: [("lat", "invalid_location")],
        5: [("lat", "invalid_location")],
    }
    located = {h.key: (h.lat, h.lng) for h in households_in(YUZHONG_1)}
    assert located == {"LOC-1": (29.7171, 118.3191), "NONE-1": (None, None)}
    assert [(h.key, h.lat, h.lng) for h in households_in(YUZHONG_2)] == [("LOC-2", 29.7150, 118.3170)]


def test_a_gb18030_csv_imports(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    rows = _chinese_rows()
    data = csv_file(rows, header=CHINESE_HEADER, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    response = upload(client, headers, data)
    assert response.status_code == 200, response.get_json()
    _assert_chinese_import(response.get_json(), rows)


def test_an_xlsx_imports_like_the_csv(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    first, second = make_id_number(birth="19860101"), make_id_number(birth="19900505")
    table = [
        COLUMNS,
        ["XL-1", "周杰", first, 13800000001, ADDRESS, int(YUZHONG_1), "employed", "veteran", 1],
        ["XL-1", "周敏", second, 13800000002.0, None, YUZHONG_1, "unemployed", None, 0],
        ["XL-2", "吴昊", make_id_number(), 12345, None, YUZHONG_1, "employed", None, None],
        [None] * 9,
    ]
    response = upload(client, headers, xlsx_file(table), filename="ledger.xlsx")
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["imported"], report["households_created"]) == (2, 1)
    assert rejected_summary(report) == {4: [("phone", "invalid_phone")]}
    one, two = resident_by_number(first), resident_by_number(second)
    assert decrypt(one.phone_enc, "phone") == "13800000001"
    assert decrypt(two.phone_enc, "phone") == "13800000002"
    assert (one.is_household_head, two.is_household_head) == (True, False)
    assert community_code(one.community_id) == community_code(two.community_id) == YUZHONG_1
    assert one.key_groups == ["veteran"] and two.employment_status == "unemployed"
    assert one.household_id == two.household_id

    # The same rows as CSV are the same residents: nothing changes.
    as_csv = [
        row(household_key="XL-1", name="周杰", id_number=first, phone="13800000001", key_groups="veteran"),
        row(
            household_key="XL-1",
            name="周敏",
            id_number=second,
            phone="13800000002",
            address="",
            employment_status="unemployed",
            is_head="0",
        ),
    ]
    again = imported(client, headers, as_csv)
    assert (again["imported"], again["updated"], again["unchanged"]) == (0, 0, 2)


def test_broken_xlsx_files_are_refused(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    data = xlsx_file([COLUMNS, list(row().values())])
    # Cut short: no longer a readable archive, so not a spreadsheet at all.
    response = upload(client, headers, data[: len(data) // 2], filename="ledger.xlsx")
    assert response.status_code == 415
    assert error_of(response)["code"] == "file_type_not_allowed"
    # An archive that names a workbook but holds garbage.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<broken")
        archive.writestr("xl/workbook.xml", "<broken")
    response = upload(client, headers, buffer.getvalue(), filename="ledger.xlsx")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "file_unreadable" and error["field"] == "file"
    assert count(Resident) == 0


# --- template ----------------------------------------------------------------------------------


def test_xlsx_template_download(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    response = client.get(TEMPLATE, headers=headers)
    assert response.status_code == 200
    assert response.content_type == XLSX_TYPE
    assert "households-template.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    table = [list(cells) for cells in sheet.iter_rows(values_only=True)]
    assert table[0] == COLUMNS
    assert len(table) == 2
    example = dict(zip(COLUMNS, table[1], strict=True))
    assert example["community_code"] == YUZHONG_1
    assert isinstance(example["id_number"], str) and isinstance(example["phone"], str)
    assert sheet["C2"].number_format == "@" and sheet["D2"].number_format == "@"


def test_csv_template_download(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    response = client.get(TEMPLATE + "?format=csv", headers=headers)
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert "households-template.csv" in response.headers["Content-Disposition"]
    assert response.data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0] == COLUMNS and len(table) == 2
    example = dict(zip(COLUMNS, table[1], strict=True))
    assert example["community_code"] == YUZHONG_1
    # The XLSX template holds the same example row.
    xlsx = client.get(TEMPLATE + "?format=xlsx", headers=headers)
    rows = list(load_workbook(io.BytesIO(xlsx.data)).worksheets[0].iter_rows(values_only=True))
    assert list(rows[1]) == table[1]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_unedited_template_imports_nothing_and_reports_its_example_row(client, staff_headers, fmt):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    data = client.get(TEMPLATE + f"?format={fmt}", headers=headers).data

    report = upload(client, headers, data, filename=f"households-template.{fmt}").get_json()
    assert (report["imported"], report["updated"], report["households_created"]) == (0, 0, 0)
    assert rejected_summary(report) == {2: [("id_number", "template_example_row")]}
    assert count(Resident) == 0 and count(Household) == 0


def test_template_needs_a_token_and_a_known_format(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    assert client.get(TEMPLATE).status_code == 401
    assert client.get(TEMPLATE + "?format=pdf", headers=headers).status_code == 422


# --- import: refusals ------------------------------------------------------------------------------


def test_import_refusals(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    _, supervisor = staff_headers("supervisor", "circle", "341002-chengzhong")
    good = csv_file([row()])

    response = upload(client, headers, "name,id_number,phone\n张伟,110101199003070000,13800000001\n".encode())
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "columns_missing" and error["field"] == "file"
    assert "household_key" in error["message"] and "community_code" in error["message"]

    response = upload(client, headers, b"")
    assert response.status_code == 422
    assert error_of(response)["code"] == "file_empty"

    response = upload(client, headers, PNG, filename="ledger.csv")
    assert response.status_code == 415
    assert error_of(response)["code"] == "file_type_not_allowed"

    response = client.post(IMPORT, data={}, headers=headers, content_type="multipart/form-data")
    assert response.status_code == 422
    assert error_of(response)["code"] == "file_missing"

    response = upload(client, supervisor, good)
    assert response.status_code == 403
    assert error_of(response)["code"] == "role_forbidden"

    response = upload(client, {}, good)
    assert response.status_code == 401

    assert count(Resident) == count(Household) == count(StatusChange) == 0
    assert count(AuditEvent, AuditEvent.action == "households.import") == 0


def test_a_file_over_the_row_limit_is_refused(app, client, staff_headers, monkeypatch):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    monkeypatch.setitem(app.config, "HOUSEHOLD_IMPORT_MAX_ROWS", 10)

    def rows(n):
        return [row(household_key=f"K-{i}", id_number=make_id_number()) for i in range(n)]

    too_many = upload(client, headers, csv_file(rows(15), COLUMNS))
    assert too_many.status_code == 422, too_many.get_json()
    assert (error_of(too_many)["code"], error_of(too_many)["field"]) == ("too_many_rows", "file")
    assert count(Resident) == count(Household) == 0

    assert imported(client, headers, rows(10))["imported"] == 10  # the limit itself is fine
    # A huge file is not read whole: reading stops one row past the limit.
    assert len(read_rows(csv_file(rows(500), COLUMNS), 10)) == 11


def test_a_header_only_file_reports_nothing(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    report = imported(client, headers, [])
    assert report == {
        "imported": 0,
        "updated": 0,
        "unchanged": 0,
        "households_created": 0,
        "rejected": [],
        "conflicts": [],
    }


# --- households: list, detail, filters, scope ------------------------------------------------------


@pytest.fixture
def ledger(client, staff_headers):
    """Import households in 昱中 (two communities) and 老街; return the numbers and the admins."""
    yuzhong, yuzhong_headers = staff_headers(*YUZHONG_ADMIN)
    _, laojie_headers = staff_headers(*LAOJIE_ADMIN)
    numbers = {
        "jobless_head": make_id_number(birth="19800315"),
        "jobless_son": make_id_number(birth="20030720"),
        "worker": make_id_number(birth="19851201"),
        "second": make_id_number(birth="19920214"),
        "laojie": make_id_number(birth="19770707"),
    }
    report = imported(
        client,
        yuzhong_headers,
        [
            row(
                household_key="Z-1",
                name="刘洋",
                id_number=numbers["jobless_head"],
                phone="13811112222",
                employment_status="unemployed",
                key_groups="hard_to_employ",
            ),
            row(
                household_key="Z-1",
                name="刘小洋",
                id_number=numbers["jobless_son"],
                phone="",
                employment_status="unemployed_registered",
                key_groups="college_graduate",
                is_head="否",
            ),
            row(
                household_key="E-1",
                name="何平",
                id_number=numbers["worker"],
                address="屯溪区昱中街道新安路8号",
            ),
            row(
                household_key="S-1",
                name="马丽",
                id_number=numbers["second"],
                community_code=YUZHONG_2,
                address="屯溪区昱中街道延安路9号",
            ),
        ],
    )
    assert report["imported"] == 4, report
    report = imported(
        client,
        laojie_headers,
        [row(household_key="L-1", name="老街人", id_number=numbers["laojie"], community_code=LAOJIE_1)],
    )
    assert report["imported"] == 1, report
    ids = {
        "Z-1": household(YUZHONG_1, "Z-1").id,
        "E-1": household(YUZHONG_1, "E-1").id,
        "S-1": household(YUZHONG_2, "S-1").id,
        "L-1": household(LAOJIE_1, "L-1").id,
    }
    return {
        "numbers": numbers,
        "ids": ids,
        "yuzhong": (yuzhong, yuzhong_headers),
        "laojie": laojie_headers,
    }


def keys_of(response) -> list[str]:
    """Return the household keys of a list response."""
    assert response.status_code == 200, response.get_json()
    return [item["key"] for item in response.get_json()["items"]]


def test_household_list_shows_members_masked(client, ledger):
    admin, headers = ledger["yuzhong"]
    numbers = ledger["numbers"]
    response = client.get(HOUSEHOLDS, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 3 and body["page"] == 1
    assert [item["key"] for item in body["items"]] == ["Z-1", "E-1", "S-1"]
    text = response.get_data(as_text=True)
    for number in numbers.values():
        assert number not in text
    assert "13811112222" not in text and ADDRESS not in text

    item = body["items"][0]
    assert item["id"] == ledger["ids"]["Z-1"]
    assert item["address"] == mask_address(ADDRESS) and item["address"] != ADDRESS
    assert item["address"].startswith(ADDRESS[:6]) and item["address"].endswith("****")
    assert item["community"]["code"] == YUZHONG_1 and item["community"]["name"] == "昱中一社区"
    assert item["zero_employment"] is True and item["zero_employment_since"] is not None
    members = sorted(item["members"], key=lambda m: m["name"])
    assert [m["name"] for m in members] == ["刘小洋", "刘洋"]
    son, head = members
    head_number = numbers["jobless_head"]
    assert head["id_number"] == head_number[:4] + "*" * 10 + head_number[-4:]
    assert head["phone"] == "138****2222" and son["phone"] is None
    assert head["age"] == age(date(1980, 3, 15)) and son["age"] == age(date(2003, 7, 20))
    assert (head["is_household_head"], son["is_household_head"]) == (True, False)
    assert head["employment_status"] == "unemployed" and son["employment_status"] == "unemployed_registered"
    assert head["key_groups"] == ["hard_to_employ"]
    assert son["key_groups"] == ["college_graduate", "registered_unemployed"]
    periods = {p["key_group"]: p for p in son["key_group_periods"]}
    assert set(periods) == {"college_graduate", "registered_unemployed"}
    assert periods["college_graduate"]["until"] is not None
    assert periods["registered_unemployed"]["until"] is None
    assert all(p["source"] == "staff" and p["verified_by_id"] is None for p in periods.values())
    assert body["items"][1]["zero_employment"] is False


def test_household_detail_has_the_full_address(client, ledger):
    _, headers = ledger["yuzhong"]
    response = client.get(f"{HOUSEHOLDS}/{ledger['ids']['Z-1']}", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["address"] == ADDRESS and body["key"] == "Z-1"
    assert len(body["members"]) == 2
    assert ledger["numbers"]["jobless_head"] not in response.get_data(as_text=True)


def test_household_filters(client, ledger):
    _, headers = ledger["yuzhong"]
    assert keys_of(client.get(f"{HOUSEHOLDS}?community={YUZHONG_2}", headers=headers)) == ["S-1"]
    assert keys_of(client.get(f"{HOUSEHOLDS}?community={YUZHONG_1}", headers=headers)) == ["Z-1", "E-1"]
    assert keys_of(client.get(f"{HOUSEHOLDS}?zero_employment=true", headers=headers)) == ["Z-1"]
    assert keys_of(client.get(f"{HOUSEHOLDS}?zero_employment=false", headers=headers)) == ["E-1", "S-1"]
    both = client.get(f"{HOUSEHOLDS}?zero_employment=false&community={YUZHONG_1}", headers=headers)
    assert keys_of(both) == ["E-1"]
    assert keys_of(client.get(f"{HOUSEHOLDS}?community={LAOJIE_1}", headers=headers)) == []
    page = client.get(f"{HOUSEHOLDS}?per_page=2&page=2", headers=headers)
    assert keys_of(page) == ["S-1"] and page.get_json()["total"] == 3
    assert client.get(f"{HOUSEHOLDS}?community=abc", headers=headers).status_code == 422


def test_township_admin_sees_only_their_township(client, ledger):
    headers = ledger["laojie"]
    response = client.get(HOUSEHOLDS, headers=headers)
    assert keys_of(response) == ["L-1"] and response.get_json()["total"] == 1
    assert keys_of(client.get(f"{HOUSEHOLDS}?community={YUZHONG_1}", headers=headers)) == []
    for key in ("Z-1", "E-1", "S-1"):
        response = client.get(f"{HOUSEHOLDS}/{ledger['ids'][key]}", headers=headers)
        assert response.status_code == 404
        assert error_of(response)["code"] == "household_not_found"
    assert client.get(f"{HOUSEHOLDS}/{ledger['ids']['L-1']}", headers=headers).status_code == 200


def test_circle_operator_sees_both_townships(client, ledger, staff_headers):
    _, headers = staff_headers(*CHENGZHONG_OPERATOR)
    assert keys_of(client.get(HOUSEHOLDS, headers=headers)) == ["Z-1", "E-1", "S-1", "L-1"]
    _, other = staff_headers("operator", "circle", "341002-chengdong")
    assert keys_of(client.get(HOUSEHOLDS, headers=other)) == []


def test_household_list_needs_staff(client, ledger, wechat_login):
    assert client.get(HOUSEHOLDS).status_code == 401
    _, resident_headers, _ = wechat_login()
    response = client.get(HOUSEHOLDS, headers=resident_headers)
    assert response.status_code == 403
    assert client.get(f"{HOUSEHOLDS}/{ledger['ids']['Z-1']}", headers=resident_headers).status_code == 403


def test_grid_worker_sees_only_assigned_communities(client, ledger, make_staff, login, staff_headers):
    _, operator = staff_headers(*CHENGZHONG_OPERATOR)
    worker = make_staff("grid_worker", "township", "341002002000")
    headers = login(worker.username)
    ids = ledger["ids"]

    response = client.get(HOUSEHOLDS, headers=headers)
    assert keys_of(response) == [] and response.get_json()["total"] == 0
    response = client.get(f"{HOUSEHOLDS}/{ids['Z-1']}", headers=headers)
    assert response.status_code == 404 and error_of(response)["code"] == "household_not_found"

    url = f"/api/v1/grid-workers/{worker.id}/communities"
    assert client.put(url, json={"community_codes": [YUZHONG_1]}, headers=operator).status_code == 200
    response = client.get(HOUSEHOLDS, headers=headers)
    assert keys_of(response) == ["Z-1", "E-1"] and response.get_json()["total"] == 2
    assert keys_of(client.get(f"{HOUSEHOLDS}?zero_employment=true", headers=headers)) == ["Z-1"]
    assert keys_of(client.get(f"{HOUSEHOLDS}?community={YUZHONG_2}", headers=headers)) == []
    detail = client.get(f"{HOUSEHOLDS}/{ids['Z-1']}", headers=headers)
    assert detail.status_code == 200 and detail.get_json()["address"] == ADDRESS
    for key in ("S-1", "L-1"):
        response = client.get(f"{HOUSEHOLDS}/{ids[key]}", headers=headers)
        assert response.status_code == 404 and error_of(response)["code"] == "household_not_found"

    # Reassigned: the old community drops out.
    assert client.put(url, json={"community_codes": [YUZHONG_2]}, headers=operator).status_code == 200
    assert keys_of(client.get(HOUSEHOLDS, headers=headers)) == ["S-1"]
    assert client.get(f"{HOUSEHOLDS}/{ids['Z-1']}", headers=headers).status_code == 404


# --- assignment ------------------------------------------------------------------------------------


@pytest.fixture
def worker(make_staff):
    """A grid worker of 昱中 township (inside the 城中 circle)."""
    return make_staff("grid_worker", "township", "341002002000")


def assignment_url(account_id: int) -> str:
    """Return the communities URL of an account."""
    return f"/api/v1/grid-workers/{account_id}/communities"


def assigned_codes(account_id: int) -> list[str]:
    """Return the community codes assigned to an account, as stored."""
    return sorted(
        db.session.scalars(
            sa.select(Community.code)
            .join(GridAssignment, GridAssignment.community_id == Community.id)
            .where(GridAssignment.account_id == account_id)
        )
    )


def test_operator_assigns_communities(client, staff_headers, worker):
    operator, headers = staff_headers(*CHENGZHONG_OPERATOR)
    response = client.put(
        assignment_url(worker.id),
        json={"community_codes": [YUZHONG_2, YUZHONG_1, YUZHONG_1]},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "account_id": worker.id,
        "communities": [
            {"code": YUZHONG_1, "name": "昱中一社区"},
            {"code": YUZHONG_2, "name": "昱中二社区"},
        ],
    }
    rows = list(db.session.scalars(sa.select(GridAssignment)))
    assert len(rows) == 2
    assert {r.account_id for r in rows} == {worker.id} and {r.assigned_by_id for r in rows} == {operator.id}

    response = client.get(assignment_url(worker.id), headers=headers)
    assert response.status_code == 200
    assert [c["code"] for c in response.get_json()["communities"]] == [YUZHONG_1, YUZHONG_2]


def test_put_replaces_the_communities(client, staff_headers, worker):
    _, headers = staff_headers(*CHENGZHONG_OPERATOR)
    url = assignment_url(worker.id)
    assert client.put(url, json={"community_codes": [YUZHONG_1]}, headers=headers).status_code == 200
    response = client.put(url, json={"community_codes": [YUZHONG_2]}, headers=headers)
    assert [c["code"] for c in response.get_json()["communities"]] == [YUZHONG_2]
    assert [c["code"] for c in client.get(url, headers=headers).get_json()["communities"]] == [YUZHONG_2]
    assert assigned_codes(worker.id) == [YUZHONG_2]
    response = client.put(url, json={"community_codes": []}, headers=headers)
    assert response.status_code == 200 and response.get_json()["communities"] == []
    assert assigned_codes(worker.id) == []


def test_township_and_district_admins_may_assign(client, staff_headers, worker):
    for scope in (YUZHONG_ADMIN, ("district_admin", "district", "341002000000")):
        _, headers = staff_headers(*scope)
        response = client.put(
            assignment_url(worker.id), json={"community_codes": [YUZHONG_1]}, headers=headers
        )
        assert response.status_code == 200, (scope, response.get_json())
    assert assigned_codes(worker.id) == [YUZHONG_1]


@pytest.mark.parametrize(
    ("codes", "code"),
    [
        ([YUDONG_1], "community_out_of_scope"),  # 昱东: outside the 城中 circle
        ([YUZHONG_1, LAOJIE_1], "community_out_of_scope"),  # 老街: in the circle, not the worker's township
        (["341002002099"], "unknown_community"),
    ],
)
def test_assignment_refuses_communities_outside_scope(client, staff_headers, worker, codes, code):
    _, headers = staff_headers(*CHENGZHONG_OPERATOR)
    url = assignment_url(worker.id)
    assert client.put(url, json={"community_codes": [YUZHONG_2]}, headers=headers).status_code == 200
    response = client.put(url, json={"community_codes": codes}, headers=headers)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == code and error["field"] == "community_codes"
    assert assigned_codes(worker.id) == [YUZHONG_2]  # nothing changed


def test_assignment_outside_a_community_scoped_worker(client, staff_headers, make_staff):
    _, headers = staff_headers(*CHENGZHONG_OPERATOR)
    worker = make_staff("grid_worker", "community", YUZHONG_1)
    response = client.put(assignment_url(worker.id), json={"community_codes": [YUZHONG_2]}, headers=headers)
    assert response.status_code == 422 and error_of(response)["code"] == "community_out_of_scope"
    response = client.put(assignment_url(worker.id), json={"community_codes": [YUZHONG_1]}, headers=headers)
    assert response.status_code == 200


def test_assignment_body_is_checked(client, staff_headers, worker):
    _, headers = staff_headers(*CHENGZHONG_OPERATOR)
    url = assignment_url(worker.id)
    assert client.put(url, json={"community_codes": ["abc"]}, headers=headers).status_code == 422
    assert client.put(url, json={}, headers=headers).status_code == 422
    assert assigned_codes(worker.id) == []


def test_assignment_target_must_be_a_managed_grid_worker(client, staff_headers, make_staff):
    _, headers = staff_headers(*CHENGZHONG_OPERATOR)
    body = {"community_codes": [YUZHONG_1]}
    # A station staff member the operator manages: not a grid worker.
    station = make_staff("station_staff", "township", "341002002000")
    response = client.put(assignment_url(station.id), json=body, headers=headers)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "not_a_grid_worker" and error["field"] == "account_id"
    assert client.get(assignment_url(station.id), headers=headers).status_code == 422
    # Accounts the operator does not manage (a higher role, another circle's worker, nobody): 404.
    admin = make_staff(*YUZHONG_ADMIN)
    elsewhere = make_staff("grid_worker", "township", "341002001000")
    for account_id in (admin.id, elsewhere.id, 999999):
        response = client.put(assignment_url(account_id), json=body, headers=headers)
        assert response.status_code == 404, account_id
        assert error_of(response)["code"] == "staff_not_found"
    assert count(GridAssignment) == 0


@pytest.mark.parametrize(
    "scope",
    [
        ("grid_worker", "township", "341002002000"),
        ("station_staff", "circle", "341002-chengzhong"),
        ("supervisor", "circle", "341002-chengzhong"),
    ],
)
def test_assignment_roles_forbidden(client, staff_headers, worker, scope):
    _, headers = staff_headers(*scope)
    response = client.put(assignment_url(worker.id), json={"community_codes": [YUZHONG_1]}, headers=headers)
    assert response.status_code == 403
    assert error_of(response)["code"] == "role_forbidden"
    assert count(GridAssignment) == 0


def test_assignment_needs_a_token(client, worker):
    assert client.put(assignment_url(worker.id), json={"community_codes": [YUZHONG_1]}).status_code == 401
    assert client.get(assignment_url(worker.id)).status_code == 401
    assert count(GridAssignment) == 0


def test_an_assignment_is_audited_and_the_worker_reads_their_own(client, staff_headers, worker, login):
    operator, headers = staff_headers(*CHENGZHONG_OPERATOR)
    assert (
        client.put(
            assignment_url(worker.id), json={"community_codes": [YUZHONG_1]}, headers=headers
        ).status_code
        == 200
    )

    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "grid.assign"))
    assert (event.actor_id, event.object_id, event.detail) == (
        operator.id,
        str(worker.id),
        {"communities": [YUZHONG_1]},
    )
    own = client.get(assignment_url(worker.id), headers=login(worker.username))
    assert own.status_code == 200
    assert [c["code"] for c in own.get_json()["communities"]] == [YUZHONG_1]


def test_moving_the_only_worker_out_flags_the_household_left_behind(client, staff_headers):
    _, headers = staff_headers(*YUZHONG_ADMIN)
    jobless = row(name="李明", id_number=make_id_number(birth="19800101"), employment_status="unemployed")
    worker = row(name="李华", id_number=make_id_number(birth="19820202"), is_head="否")
    imported(client, headers, [jobless, worker])
    assert household(YUZHONG_1, "YZ-001").zero_employment_since is None

    # Only the mover is in the second file: the household left behind is recomputed all the same.
    report = imported(client, headers, [{**worker, "household_key": "YZ-002", "is_head": "是"}])

    assert report["updated"] == 1
    assert household(YUZHONG_1, "YZ-001").zero_employment_since is not None
    assert household(YUZHONG_1, "YZ-002").zero_employment_since is None
