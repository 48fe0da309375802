"""Visit channels (issue 18, part 6): a call, a meeting at the station or an online contact updates the
ledger and records needs, but only a door visit (上门走访) counts toward coverage and visit days."""

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import Household, LedgerSnapshot, Need, Resident, StatusChange, Visit
from app.services.grid import snapshots
from tests.conftest import PASSWORD
from tests.console.conftest import LOGIN, csrf_token
from tests.exports.files import read_csv
from tests.support import assign, new_household

GRID = "/api/v1/grid"
YZ1 = "341002002001"  # 昱中一社区
YUZHONG = ("township", "341002002000")
CONTACTED_HEADER = "仅电话等联系户数（未上门）"


@pytest.fixture
def worker(app, staff_headers, operator):
    """A grid worker of 昱中一社区, assigned by the circle's operator: (account, headers)."""
    account, headers = staff_headers("grid_worker", *YUZHONG)
    assign(app.test_client(), operator[1], account, [YZ1])
    return account, headers


@pytest.fixture
def home(places):
    """An unlocated household of two unemployed working-age members in 昱中一社区."""
    return new_household(YZ1, [("unemployed", "19850101"), ("unemployed", "19900101")])


def visit(household_id, outcome="met", client_id=None, **fields) -> dict:
    """Return one item of a visit batch, made now."""
    return {
        "client_id": client_id or f"channel-{datetime.now(UTC).timestamp():.6f}-{household_id}-{outcome}",
        "visited_at": datetime.now(UTC).isoformat(),
        "household_id": household_id,
        "outcome": outcome,
        **fields,
    }


def send(client, headers, *items) -> list[dict]:
    """POST a batch; return its per-item results."""
    response = client.post(f"{GRID}/visits", json={"visits": list(items)}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def members(household: Household) -> list[Resident]:
    db.session.commit()
    return list(
        db.session.scalars(
            sa.select(Resident).where(Resident.household_id == household.id).order_by(Resident.id)
        )
    )


def checklist(client, headers) -> dict:
    response = client.get(f"{GRID}/checklist", query_string={"limit": 200}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def stop_of(body: dict, household: Household) -> dict | None:
    return next((item for item in body["items"] if item["household"]["id"] == household.id), None)


def my_coverage(client, headers) -> tuple[dict, dict]:
    """Return the worker's (month, 昱中一社区's coverage row) from /grid/progress, live."""
    response = client.get(f"{GRID}/progress", headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    [row] = [r for r in body["quarter"]["communities"] if r["community"]["code"] == YZ1]
    return body["month"], row


def snapshot_coverage(household: Household) -> dict:
    """Write this month's snapshot; return 昱中一社区's coverage in it."""
    snapshots.snapshot()
    db.session.commit()
    return db.session.scalar(
        sa.select(LedgerSnapshot.coverage).where(
            LedgerSnapshot.month == local_day().strftime("%Y-%m"),
            LedgerSnapshot.community_id == household.community_id,
        )
    )


def stats_row(app, client, headers) -> tuple[dict, dict]:
    """Return the grid section's (figures, 昱中一社区's row) for this month (from the snapshot)."""
    app.config["STATS_CACHE_SECONDS"] = 0
    response = client.get(
        "/api/v1/stats/grid",
        query_string={"place": f"township:{YUZHONG[1]}", "month": local_day().strftime("%Y-%m")},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    [row] = [r for r in body["tables"]["communities"]["rows"] if r["path"] == f"community:{YZ1}"]
    return body["figures"], row


def test_a_phone_call_updates_the_ledger_but_the_household_is_still_not_door_visited(
    app, client, worker, home, staff_headers
):
    account, headers = worker
    first, second = members(home)
    _, official = staff_headers("township_admin", *YUZHONG)
    month_before, _ = my_coverage(client, headers)

    [result] = send(
        client,
        headers,
        visit(
            home.id,
            channel="phone",
            lat=29.717,
            lng=118.32,  # where the worker sat: not the household's
            notes="电话访谈",
            members=[
                {"resident_id": first.id, "employment_status": "employed"},
                {"resident_id": second.id, "needs": ["job"]},
            ],
        ),
    )

    # The ledger: the status change is the visit's, and the need a follow-up.
    assert (result["result"], result["status_changes"]) == ("applied", 1)
    change = db.session.scalar(
        sa.select(StatusChange).where(StatusChange.resident_id == first.id).order_by(StatusChange.id.desc())
    )
    assert (change.from_status, change.to_status, change.source, change.actor_id) == (
        "unemployed",
        "employed",
        "visit",
        account.id,
    )
    assert db.session.scalars(sa.select(Need.kind).where(Need.resident_id == second.id)).all() == ["job"]
    row = db.session.get(Visit, result["visit_id"])
    assert (row.channel, row.outcome, row.lat, row.lng) == ("phone", "met", None, None)
    assert (db.session.get(Household, home.id).lat, db.session.get(Household, home.id).lng) == (None, None)

    # The checklist: still to visit at the door, showing the call as its last contact.
    body = checklist(client, headers)
    stop = stop_of(body, home)
    assert stop is not None and body["remaining"] == 1
    assert {k: stop["last_visit"][k] for k in ("id", "channel", "outcome", "worker_id")} == {
        "id": result["visit_id"],
        "channel": "phone",
        "outcome": "met",
        "worker_id": account.id,
    }
    assert any(need["kind"] == "job" for need in body["follow_ups"])

    # Progress: not met, no visit day; the call is counted apart.
    month, coverage = my_coverage(client, headers)
    assert month["visit_days"] == month_before["visit_days"] == 0
    assert {k: coverage[k] for k in ("households", "met", "coverage", "not_home", "contacted")} == {
        "households": 1,
        "met": 0,
        "coverage": 0.0,
        "not_home": 0,
        "contacted": 1,
    }

    # The ledger snapshot and the statistics read from it.
    assert {k: v for k, v in snapshot_coverage(home).items() if k not in ("quarter_start", "through")} == {
        "met": 0,
        "moved": 0,
        "not_home": 0,
        "refused": 0,
        "contacted": 1,
    }
    figures, stats = stats_row(app, client, official)
    assert (stats["met"], stats["coverage"], stats["contacted"]) == (0, 0.0, 1)
    assert (figures["met"], figures["contacted"]) == (0, 1)

    # Then a door visit: met, a visit day, and no longer merely contacted.
    [door] = send(client, headers, visit(home.id, channel="door", lat=29.717, lng=118.32))
    assert door["result"] == "applied"
    assert stop_of(checklist(client, headers), home) is None
    month, coverage = my_coverage(client, headers)
    assert (month["visit_days"], coverage["met"], coverage["coverage"], coverage["contacted"]) == (
        1,
        1,
        1.0,
        0,
    )
    assert (snapshot_coverage(home)["met"], snapshot_coverage(home)["contacted"]) == (1, 0)
    figures, stats = stats_row(app, client, official)
    assert (stats["met"], stats["contacted"], figures["contacted"]) == (1, 0, 0)
    # Only the door visit found the household where it lives.
    assert (db.session.get(Household, home.id).lat, db.session.get(Household, home.id).lng) == (
        29.717,
        118.32,
    )


def test_a_visit_without_a_channel_is_a_door_visit(client, worker, home):
    _, headers = worker

    [result] = send(client, headers, visit(home.id))

    assert result["result"] == "applied"
    assert db.session.get(Visit, result["visit_id"]).channel == "door"
    assert stop_of(checklist(client, headers), home) is None
    month, coverage = my_coverage(client, headers)
    assert (month["visit_days"], coverage["met"], coverage["contacted"]) == (1, 1, 0)


@pytest.mark.parametrize("channel", ["station", "online"])
def test_station_and_online_contacts_are_not_door_visits_either(client, worker, home, channel):
    _, headers = worker

    [result] = send(client, headers, visit(home.id, channel=channel))

    assert result["result"] == "applied"
    assert stop_of(checklist(client, headers), home)["last_visit"]["channel"] == channel
    month, coverage = my_coverage(client, headers)
    assert (month["visit_days"], coverage["met"], coverage["contacted"]) == (0, 0, 1)


def test_an_unanswered_call_is_no_door_attempt(client, worker, home):
    _, headers = worker

    results = send(
        client,
        headers,
        visit(home.id, "not_home", channel="phone"),
        visit(home.id, "refused", channel="phone"),
    )

    assert [r["result"] for r in results] == ["applied", "applied"]
    _, coverage = my_coverage(client, headers)
    assert (coverage["not_home"], coverage["refused"], coverage["contacted"]) == (0, 0, 0)
    assert snapshot_coverage(home) is None  # nothing happened at a door: no coverage figures


def test_a_bad_channel_refuses_its_item_only(client, worker, home):
    _, headers = worker

    results = send(
        client,
        headers,
        visit(home.id, channel="pigeon"),
        visit(home.id, channel=None),
        visit(home.id, channel=3),
        visit(home.id, channel="phone"),
    )

    assert [(r["result"], (r.get("error") or {}).get("code")) for r in results] == [
        ("rejected", "validation_error"),
        ("rejected", "validation_error"),
        ("rejected", "validation_error"),
        ("applied", None),
    ]
    assert all(set(r["error"]["fields"]) == {"channel"} for r in results[:3])
    db.session.commit()
    assert db.session.scalars(sa.select(Visit.channel)).all() == ["phone"]


def test_the_console_progress_shows_calls_apart(client, worker, home, make_staff):
    _, headers = worker
    other = new_household(YZ1, [("employed", "19800101")])
    send(client, headers, visit(home.id, channel="phone"), visit(other.id, channel="door"))
    snapshots.snapshot()
    admin = make_staff("township_admin", *YUZHONG)  # no second factor: a password is enough
    token = csrf_token(client, LOGIN)
    signed_in = client.post(
        LOGIN, data={"csrf_token": token, "username": admin.username, "password": PASSWORD}
    )
    assert signed_in.status_code == 302

    page = client.get("/console/grid/progress").get_data(as_text=True)

    table = re.search(r'<table class="data" id="communities">(.*?)</table>', page, re.S).group(1)
    headers_row = re.findall(r"<th[^>]*>(.*?)</th>", table.split("<tbody>")[0], re.S)
    assert headers_row[-1] == CONTACTED_HEADER and "本季已走访户数" in headers_row
    [row] = [r for r in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S) if "昱中一社区" in r]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    # households, met at the door, coverage, not home, refused, moved, reached only by phone
    assert cells[1:3] == ["2", "1"] and cells[-1] == "1"
    assert "电话访谈、到站和线上联系同样更新台账" in page

    # The table's export (the grid section's) has the column too.
    exported = client.post(
        f"/console/dashboard/township/{YUZHONG[1]}/export",
        query_string={"section": "grid", "table": "communities", "format": "csv"},
        data={"csrf_token": csrf_token(client, "/console/dashboard")},
    )
    data = exported.get_data()
    exported.close()  # a sent file stays open until closed
    assert exported.status_code == 200
    sheet = read_csv(data)
    assert sheet.column("社区/村") == ["昱中一社区"]
    assert (sheet.column("已走访户数"), sheet.column(CONTACTED_HEADER)) == (["1"], ["1"])
