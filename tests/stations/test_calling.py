"""Calling the next visitor to the counter (叫号): queue order, one visitor to one clerk, the refusals."""

import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app.extensions import db
from app.models import CheckIn
from tests.stations.test_check_ins import (
    CHENGZHONG,
    CITY,
    YUDONG,
    list_check_ins,
    make_station,
    printed_url,
)
from tests.support import check_in, error_of

STATIONS = "/api/v1/stations"
CHECK_INS = "/api/v1/check-ins"


def call_next(client, headers, station_id):
    """POST call-next at a station."""
    return client.post(f"{STATIONS}/{station_id}/queue/call-next", headers=headers)


def assign(client, admin, station_id, *accounts):
    """Make these accounts the station's staff."""
    response = client.patch(
        f"{STATIONS}/{station_id}", json={"staff_ids": [a.id for a in accounts]}, headers=admin
    )
    assert response.status_code == 200, response.get_json()


@pytest.fixture
def admin(staff_headers):
    """A city admin's headers."""
    return staff_headers(*CITY)[1]


@pytest.fixture
def queue(client, admin, staff_headers, wechat_login):
    """A station with three visitors waiting (numbers 1-3) and two of its clerks."""
    station = make_station(client, admin)
    url = printed_url(client, admin, station["id"])
    visitors = [wechat_login()[1] for _ in range(3)]
    ids = [check_in(client, headers, url).get_json()["id"] for headers in visitors]
    first, first_headers = staff_headers("station_staff", "circle", CHENGZHONG)
    second, second_headers = staff_headers("station_staff", "circle", CHENGZHONG)
    assign(client, admin, station["id"], first, second)
    return SimpleNamespace(
        station=station,
        url=url,
        ids=ids,
        visitors=visitors,
        first=first,
        first_headers=first_headers,
        second=second,
        second_headers=second_headers,
    )


def test_calling_gives_the_queue_in_order_and_marks_who_called(client, queue):
    response = call_next(client, queue.first_headers, queue.station["id"])

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["id"], body["queue_number"]) == (queue.ids[0], 1)
    assert body["called_by_id"] == queue.first.id
    assert body["called_at"] is not None and body["served_at"] is None
    assert body["person"]["resident_id"] is not None  # the staff shape: the person, masked
    row = db.session.get(CheckIn, queue.ids[0])
    assert row.called_by_id == queue.first.id and row.called_at is not None

    second = call_next(client, queue.second_headers, queue.station["id"])

    assert second.status_code == 200, second.get_json()
    assert (second.get_json()["id"], second.get_json()["called_by_id"]) == (queue.ids[1], queue.second.id)


def test_the_list_shows_and_filters_who_was_called(client, queue):
    call_next(client, queue.first_headers, queue.station["id"])

    everyone = list_check_ins(client, queue.first_headers, queue.station["id"]).get_json()["items"]
    called = list_check_ins(client, queue.first_headers, queue.station["id"], called="true").get_json()
    waiting = list_check_ins(client, queue.first_headers, queue.station["id"], called="false").get_json()

    assert [(item["id"], item["called_by_id"]) for item in everyone] == [
        (queue.ids[0], queue.first.id),
        (queue.ids[1], None),
        (queue.ids[2], None),
    ]
    assert everyone[0]["called_at"] is not None and everyone[1]["called_at"] is None
    assert [item["id"] for item in called["items"]] == [queue.ids[0]]
    assert [item["id"] for item in waiting["items"]] == queue.ids[1:]


def test_a_clerk_serves_the_visitor_called_before_calling_another(client, queue):
    called = call_next(client, queue.first_headers, queue.station["id"]).get_json()

    refused = call_next(client, queue.first_headers, queue.station["id"])

    assert refused.status_code == 409, refused.get_json()
    error = error_of(refused)
    assert (error["code"], error["field"]) == ("serve_current_first", "check_in_id")
    assert "1" in error["message"] and str(called["id"]) in error["message"]
    assert db.session.get(CheckIn, queue.ids[1]).called_at is None

    served = client.patch(
        f"{CHECK_INS}/{called['id']}", json={"outcome": "recommended_jobs"}, headers=queue.first_headers
    )
    assert served.status_code == 200, served.get_json()
    assert served.get_json()["called_by_id"] == queue.first.id

    again = call_next(client, queue.first_headers, queue.station["id"])

    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == queue.ids[1]


def test_served_visitors_are_skipped_and_an_empty_queue_is_404(client, queue):
    # Serving straight from the list (no call) still works, and takes the visitor out of the queue.
    direct = client.patch(f"{CHECK_INS}/{queue.ids[0]}", json={"served": True}, headers=queue.second_headers)
    assert direct.status_code == 200 and direct.get_json()["called_at"] is None

    first = call_next(client, queue.first_headers, queue.station["id"]).get_json()
    second = call_next(client, queue.second_headers, queue.station["id"]).get_json()
    client.patch(f"{CHECK_INS}/{first['id']}", json={"served": True}, headers=queue.first_headers)
    third = call_next(client, queue.first_headers, queue.station["id"])

    assert [first["id"], second["id"]] == queue.ids[1:]
    assert third.status_code == 404, third.get_json()
    assert error_of(third)["code"] == "queue_empty"


def test_yesterdays_and_out_of_hours_visitors_are_not_called(client, queue):
    rows = [db.session.get(CheckIn, check_in_id) for check_in_id in queue.ids]
    # Yesterday's number 1 never came to the counter.
    rows[0].day -= timedelta(days=1)
    rows[0].queue_key = f"s{queue.station['id']}:{rows[0].day.isoformat()}"
    rows[1].queue_number = None  # came while the station was closed: no number, not queued
    db.session.commit()

    called = call_next(client, queue.first_headers, queue.station["id"])

    assert called.get_json()["id"] == queue.ids[2]
    refused = call_next(client, queue.second_headers, queue.station["id"])
    assert refused.status_code == 404 and error_of(refused)["code"] == "queue_empty"


def test_another_stations_queue_is_its_own(client, admin, queue, wechat_login):
    other = make_station(client, admin, circle="341002-chengdong", at=YUDONG, name="昱东就业服务站")
    check_in(client, wechat_login()[1], printed_url(client, admin, other["id"]))

    # The clerk of 昱中 has called nobody at 昱东, so an open call at 昱中 does not block there;
    # but 昱东 is not their station.
    call_next(client, queue.first_headers, queue.station["id"])
    refused = call_next(client, queue.first_headers, other["id"])

    assert refused.status_code in (403, 404), refused.get_json()
    assert db.session.scalar(sa.select(CheckIn.called_at).where(CheckIn.station_id == other["id"])) is None


def test_station_staff_call_only_at_their_own_station(client, staff_headers, queue):
    _, unassigned = staff_headers("station_staff", "circle", CHENGZHONG)

    refused = call_next(client, unassigned, queue.station["id"])

    assert refused.status_code == 403, refused.get_json()
    assert error_of(refused)["code"] == "role_forbidden"
    assert db.session.scalar(sa.select(sa.func.count()).where(CheckIn.called_at.is_not(None))) == 0


@pytest.mark.parametrize(
    ("role", "status", "code"),
    [
        (("operator", "circle", CHENGZHONG), 200, None),
        (("township_admin", "township", "341002002000"), 200, None),
        (("operator", "circle", "341002-chengdong"), 404, "station_not_found"),
        (("grid_worker", "community", "341002002001"), 403, "role_forbidden"),
    ],
)
def test_other_serving_roles_call_in_their_place_only(client, staff_headers, queue, role, status, code):
    _, headers = staff_headers(*role)

    response = call_next(client, headers, queue.station["id"])

    assert response.status_code == status, response.get_json()
    if code:
        assert error_of(response)["code"] == code
    else:
        assert response.get_json()["id"] == queue.ids[0]


def test_residents_and_anonymous_callers_cannot_call(client, queue):
    assert call_next(client, queue.visitors[0], queue.station["id"]).status_code == 403
    assert call_next(client, {}, queue.station["id"]).status_code == 401
    assert db.session.scalar(sa.select(sa.func.count()).where(CheckIn.called_at.is_not(None))) == 0


def test_two_clerks_calling_at_once_never_get_the_same_visitor(
    app, client, admin, queue, staff_headers, backend
):
    if backend != "real":
        pytest.skip("SQLite serialises writers; the concurrent variant runs on MariaDB")
    clerks = [queue.first_headers, queue.second_headers]
    for _ in range(4):
        account, headers = staff_headers("station_staff", "circle", CHENGZHONG)
        clerks.append(headers)
        queue.extra = [*getattr(queue, "extra", []), account]
    assign(client, admin, queue.station["id"], queue.first, queue.second, *queue.extra)
    results, barrier = [], threading.Barrier(len(clerks))

    def call(headers):
        web = FlaskClient(app, app.response_class)
        barrier.wait(timeout=30)
        response = call_next(web, headers, queue.station["id"])
        results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=call, args=(headers,)) for headers in clerks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    called = sorted(body["id"] for status, body in results if status == 200)
    assert called == queue.ids, results  # three visitors, three clerks, each called once
    assert sorted(status for status, _ in results) == [200, 200, 200, 404, 404, 404], results
    db.session.commit()
    callers = db.session.scalars(sa.select(CheckIn.called_by_id).where(CheckIn.id.in_(queue.ids))).all()
    assert len(set(callers)) == 3


def test_a_visitor_another_counter_took_between_read_and_mark_is_skipped(client, queue, monkeypatch):
    # The race SQLite allows (no row locks): another clerk marks the row this call has just read.
    # The mark is conditional, so this clerk takes the next visitor instead of overwriting theirs.
    from app.services.stations import queue as counter

    read = db.session.scalar
    taken = []

    def read_then_lose_it(statement, *args, **kwargs):
        row = read(statement, *args, **kwargs)
        if not taken and isinstance(row, CheckIn):
            taken.append(row.id)
            db.session.execute(
                sa.update(CheckIn)
                .where(CheckIn.id == row.id)
                .values(called_at=sa.func.now(), called_by_id=queue.second.id)
                .execution_options(synchronize_session=False)
            )
        return row

    monkeypatch.setattr(counter.db.session, "scalar", read_then_lose_it)
    response = call_next(client, queue.first_headers, queue.station["id"])
    monkeypatch.undo()

    assert response.status_code == 200, response.get_json()
    assert taken == [queue.ids[0]]
    assert response.get_json()["id"] == queue.ids[1]
    db.session.commit()
    callers = dict(
        db.session.execute(sa.select(CheckIn.id, CheckIn.called_by_id).where(CheckIn.id.in_(queue.ids))).all()
    )
    assert callers == {queue.ids[0]: queue.second.id, queue.ids[1]: queue.first.id, queue.ids[2]: None}
