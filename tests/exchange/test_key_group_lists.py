"""Key-group lists from the province: residents matched by ID-number HMAC, the rest to the grid or report."""

import logging
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import AuditEvent, ExchangeCursor, ProvinceListEntry, ResidentKeyGroup
from app.models.exchange import ExchangeRecord
from app.services.exchange import key_group_lists
from tests.conftest import ME, make_id_number
from tests.support import assign_directly, console_client, error_of

HOME = "341002002001"  # 昱中一社区 (屯溪区)
OTHER_DISTRICT = "341003100001"  # a community of 黄山区, outside 屯溪区's admin
REPORT = "/api/v1/exchange/key-group-lists"
pytestmark = pytest.mark.usefixtures("places")


def resolve_url(entry_id: int) -> str:
    """Return the resolve route of a list entry."""
    return f"{REPORT}/entries/{entry_id}/resolve"


def listed(
    id_number: str, group: str = "05", community: str | None = HOME, list_id: str = "L-1", **more
) -> dict:
    """Return one feed entry (group in the exchange's codes: 05 veteran)."""
    today = local_day()
    return {
        "list_id": list_id,
        "entry_key": more.pop("entry_key", uuid.uuid4().hex[:12]),
        "group": group,
        "name": "张秀英",
        "id_number": id_number,
        "address": "屯溪区昱中街道新安路18号",
        "community_code": community,
        "since": str(today - timedelta(days=100)),
        "until": str(today + timedelta(days=300)),
        **more,
    }


def resident_with(client, wechat_login, id_number: str, community: str = HOME) -> int:
    """Register a resident with this ID number in a community; return the resident id."""
    _, headers, _ = wechat_login()
    profile = {"name": "张秀英", "id_number": id_number, "community_code": community}
    response = client.patch(ME, json=profile, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["id"]


def entries() -> list[ProvinceListEntry]:
    """Return every list entry, in id order."""
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ProvinceListEntry).order_by(ProvinceListEntry.id)))


def test_a_listed_resident_gets_the_group_from_the_province_and_it_is_not_echoed(
    client, wechat_login, fake_province, caplog
):
    id_number = make_id_number("19850505")
    resident_id = resident_with(client, wechat_login, id_number)
    records_before = db.session.scalar(sa.select(sa.func.count()).select_from(ExchangeRecord))
    fake_province.seed("key-groups", [listed(id_number, group="05")])

    with caplog.at_level(logging.DEBUG):
        assert key_group_lists.pull()["matched"] == 1

    (entry,) = entries()
    assert (entry.status, entry.resident_id, entry.key_group) == ("matched", resident_id, "veteran")
    assert entry.id_number_hint != id_number and entry.id_number_enc and id_number not in caplog.text
    row = db.session.get(ResidentKeyGroup, (resident_id, "veteran"))
    today = local_day()
    assert (row.source, row.since, row.until) == (
        "province",
        today - timedelta(days=100),
        today + timedelta(days=300),
    )
    assert row.verified_by_id is None  # the province vouches, no reviewer of ours
    # A group the province certified goes back to it as nothing.
    records = db.session.scalars(sa.select(ExchangeRecord.record_type)).all()
    assert len(records) == records_before and "key_group" not in records

    # The province ends the period (the entry again, its until past): the group ends with it.
    ended = str(today - timedelta(days=10))
    fake_province.seed("key-groups", [listed(id_number, group="05", entry_key=entry.entry_key, until=ended)])
    key_group_lists.pull()
    db.session.expire_all()
    row = db.session.get(ResidentKeyGroup, (resident_id, "veteran"))
    assert not row.is_current(today) and len(entries()) == 1


def test_someone_not_in_the_ledger_is_a_checklist_task_resolved_once_added(
    client, wechat_login, fake_province, make_staff, login
):
    worker = make_staff("grid_worker", "community", HOME)
    assign_directly(worker, [HOME])
    headers = login(worker.username)
    id_number = make_id_number("19990909")
    fake_province.seed("key-groups", [listed(id_number, group="03")])
    assert key_group_lists.pull()["task"] == 1
    (entry,) = entries()

    tasks = client.get("/api/v1/grid/checklist", headers=headers).get_json()["province_list_tasks"]
    assert [(t["id"], t["key_group"], t["name"], t["address"]) for t in tasks] == [
        (entry.id, "college_graduate", "张秀英", "屯溪区昱中街道新安路18号")
    ]
    assert tasks[0]["id_number_hint"] != id_number  # masked

    someone_else = resident_with(client, wechat_login, make_id_number("19990909"))
    wrong = client.post(
        resolve_url(entry.id), json={"outcome": "added", "resident_id": someone_else}, headers=headers
    )
    assert wrong.status_code == 422 and error_of(wrong)["code"] == "id_number_mismatch"
    unnamed = client.post(resolve_url(entry.id), json={"outcome": "added"}, headers=headers)
    assert unnamed.status_code == 422 and error_of(unnamed)["field"] == "resident_id"

    resident_id = resident_with(client, wechat_login, id_number)
    done = client.post(
        resolve_url(entry.id), json={"outcome": "added", "resident_id": resident_id}, headers=headers
    )
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["status"], done.get_json()["resident_id"]) == ("resolved", resident_id)
    assert db.session.get(ResidentKeyGroup, (resident_id, "college_graduate")).source == "province"
    again = client.post(resolve_url(entry.id), json={"outcome": "not_here", "note": "搬走"}, headers=headers)
    assert again.status_code == 409 and error_of(again)["code"] == "list_entry_not_open"
    assert client.get("/api/v1/grid/checklist", headers=headers).get_json()["province_list_tasks"] == []

    # A repeat of the list does not reopen what the worker decided.
    fake_province.seed("key-groups", [listed(id_number, group="03", entry_key=entry.entry_key)])
    key_group_lists.pull()
    assert [(e.id, e.status) for e in entries()] == [(entry.id, "resolved")]


def test_not_here_needs_a_note_and_another_place_cannot_resolve(
    client, fake_province, make_staff, login, staff_headers
):
    worker = make_staff("grid_worker", "community", HOME)
    assign_directly(worker, [HOME])
    headers = login(worker.username)
    fake_province.seed("key-groups", [listed(make_id_number("19700101"), group="06")])
    key_group_lists.pull()
    (entry,) = entries()

    bare = client.post(resolve_url(entry.id), json={"outcome": "not_here"}, headers=headers)
    assert bare.status_code == 422 and error_of(bare)["code"] == "note_required"
    _, outsider = staff_headers("district_admin", "district", "341003000000")
    foreign = client.post(resolve_url(entry.id), json={"outcome": "not_here", "note": "无"}, headers=outsider)
    assert foreign.status_code == 404 and error_of(foreign)["code"] == "list_entry_not_found"

    done = client.post(
        resolve_url(entry.id), json={"outcome": "not_here", "note": "已迁往外省"}, headers=headers
    )
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["status"], done.get_json()["note"]) == ("resolved", "已迁往外省")
    assert (entries()[0].resolved_by_id, entries()[0].resident_id) == (worker.id, None)
    (event,) = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "province_list.resolve")
    ).all()
    assert (event.object_id, event.detail["outcome"]) == (str(entry.id), "not_here")


def test_the_report_counts_per_list_and_shows_the_unmatched_masked_to_the_city(
    client, wechat_login, fake_province, staff_headers
):
    matched = make_id_number("19800101")
    resident_with(client, wechat_login, matched)
    fake_province.seed(
        "key-groups",
        [
            listed(matched, group="04", list_id="MW-1"),
            listed(make_id_number("19810101"), group="04", list_id="MW-1"),
            listed(make_id_number("19820101"), group="04", list_id="MW-1", community="999999999999"),
            listed(make_id_number("19830101"), group="04", list_id="MW-1", community=OTHER_DISTRICT),
        ],
    )
    assert key_group_lists.pull() == {
        "read": 4,
        "skipped": 0,
        "matched": 1,
        "task": 2,
        "unmatched": 1,
        "resolved": 0,
    }

    _, city = staff_headers("city_admin", "city", "341000000000")
    report = client.get(REPORT, headers=city)
    assert report.status_code == 200, report.get_json()
    body = report.get_json()
    assert body["lists"] == [
        {
            "list_id": "MW-1",
            "key_group": "migrant_worker",
            "matched": 1,
            "task": 2,
            "unmatched": 1,
            "resolved": 0,
        }
    ]
    (unmatched,) = body["unmatched"]
    assert (unmatched["name"], unmatched["community_code"]) == ("张**", "999999999999")
    assert unmatched["address"].endswith("****") and "18号" not in unmatched["address"]

    _, district = staff_headers("district_admin", "district", "341002000000")
    mine = client.get(REPORT, headers=district).get_json()
    assert mine == {
        "lists": [
            {
                "list_id": "MW-1",
                "key_group": "migrant_worker",
                "matched": 1,
                "task": 1,
                "unmatched": 0,
                "resolved": 0,
            }
        ],
        "unmatched": [],
    }
    _, worker = staff_headers("grid_worker", "community", HOME)
    assert client.get(REPORT, headers=worker).status_code == 403


def test_the_cursor_reads_only_what_is_new_and_survives_an_outage(fake_province):
    fake_province.seed("key-groups", [listed(make_id_number("19750101"))])
    assert key_group_lists.pull()["read"] == 1
    first_cursor = db.session.get(ExchangeCursor, "key-groups").cursor
    assert first_cursor

    fake_province.knobs(down=True)
    assert key_group_lists.pull() == {"read": 0, "unavailable": True}
    fake_province.knobs(down=False)
    assert key_group_lists.pull()["read"] == 0  # nothing new since the cursor

    valid = make_id_number("19780101")
    wrong_check = valid[:-1] + ("1" if valid[-1] != "1" else "2")
    fake_province.seed(
        "key-groups",
        [
            listed(make_id_number("19760101")),
            listed(wrong_check, entry_key="bad-check"),  # a wrong check character: skipped
            listed(make_id_number("19770101"), group="99"),  # a group we do not take: skipped
        ],
    )
    assert key_group_lists.pull() == {
        "read": 3,
        "skipped": 2,
        "matched": 0,
        "task": 1,
        "unmatched": 0,
        "resolved": 0,
    }
    assert len(entries()) == 2
    assert db.session.get(ExchangeCursor, "key-groups").cursor > first_cursor


def test_the_console_exchange_page_shows_the_lists_to_the_city_not_the_supervisor(
    app, fake_province, make_staff
):
    fake_province.seed(
        "key-groups",
        [
            listed(make_id_number("19880101"), group="06", list_id="FISH-1"),
            listed(make_id_number("19880101"), group="06", list_id="FISH-1", community="999999999999"),
        ],
    )
    key_group_lists.pull()
    city, _ = console_client(app, make_staff("city_admin", "city", "341000000000"))
    page = city.get("/console/exchange").get_data(as_text=True)
    assert 'data-testid="key-group-lists"' in page and "FISH-1" in page
    assert 'data-testid="key-group-unmatched"' in page and "张**" in page and "张秀英" not in page
    supervisor, _ = console_client(app, make_staff("supervisor", "city", "341000000000"))
    page = supervisor.get("/console/exchange").get_data(as_text=True)
    assert 'data-testid="exchange-summary"' in page and "key-group-lists" not in page
