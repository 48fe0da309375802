"""My check-ins (我的签到): a resident's or employer's own visits, newest first, and nobody else's."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import CheckIn
from tests.stations.test_check_ins import CITY, make_station, printed_url
from tests.support import check_in, error_of, event_url, open_event

MINE = "/api/v1/me/check-ins"
CHECK_INS = "/api/v1/check-ins"


@pytest.fixture
def admin(staff_headers):
    """A city admin's headers."""
    return staff_headers(*CITY)[1]


def test_my_check_ins_newest_first_with_the_place_and_what_came_of_it(client, admin, wechat_login):
    station = make_station(client, admin)
    event = open_event(client, admin, title="屯溪区春风行动招聘会")
    _, headers, _ = wechat_login()
    at_station = check_in(client, headers, printed_url(client, admin, station["id"]), purpose="job_seeking")
    at_event = check_in(client, headers, event_url(event["id"]), purpose="event")
    assert (at_station.status_code, at_event.status_code) == (201, 201), at_event.get_json()
    db.session.get(CheckIn, at_station.get_json()["id"]).created_at -= timedelta(minutes=5)
    db.session.commit()
    served = client.patch(
        f"{CHECK_INS}/{at_station.get_json()['id']}", json={"outcome": "recommended_jobs"}, headers=admin
    )
    assert served.status_code == 200

    response = client.get(MINE, headers=headers)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["total"], body["page"], body["per_page"]) == (2, 1, 20)
    latest, earlier = body["items"]
    assert latest["id"] == at_event.get_json()["id"]
    assert latest["event"] == {"id": event["id"], "title": "屯溪区春风行动招聘会"}
    assert latest["station"] is None
    assert (latest["purpose"], latest["served"], latest["outcome"]) == ("event", False, None)
    assert earlier["station"] == {"id": station["id"], "name": "昱中就业服务站"}
    assert earlier["event"] is None
    assert (earlier["queue_number"], earlier["out_of_hours"]) == (1, False)
    assert (earlier["purpose"], earlier["served"], earlier["outcome"]) == (
        "job_seeking",
        True,
        "recommended_jobs",
    )
    assert earlier["day"] == at_station.get_json()["day"]
    # Nothing of the person or the staff who served them.
    assert set(earlier) == {
        "id",
        "created_at",
        "day",
        "station",
        "event",
        "purpose",
        "queue_number",
        "out_of_hours",
        "served",
        "outcome",
    }


def test_each_sees_only_their_own_and_pages_hold_at_most_fifty(client, admin, wechat_login, make_employer):
    station = make_station(client, admin)
    url = printed_url(client, admin, station["id"])
    _, mine, _ = wechat_login()
    _, theirs, _ = wechat_login()
    employer, employer_headers = make_employer()
    ids = []
    for purpose in ("consult", "policy", "claim"):
        ids.append(check_in(client, mine, url, purpose=purpose).get_json()["id"])
        # Hours apart, so each is a visit of its own (not the same one again within 30 minutes).
        db.session.get(CheckIn, ids[-1]).created_at -= timedelta(hours=4 - len(ids))
        db.session.commit()
    check_in(client, theirs, url)
    employer_visit = check_in(client, employer_headers, url).get_json()["id"]

    page = client.get(MINE, query_string={"per_page": 2, "page": 2}, headers=mine).get_json()
    assert page["total"] == 3 and [item["id"] for item in page["items"]] == [ids[0]]
    assert [item["id"] for item in client.get(MINE, headers=employer_headers).get_json()["items"]] == [
        employer_visit
    ]
    too_many = client.get(MINE, query_string={"per_page": 51}, headers=mine)
    assert too_many.status_code == 422 and error_of(too_many)["field"] == "per_page"


def test_out_of_hours_visits_show_without_a_number(client, admin, wechat_login):
    station = make_station(client, admin)
    _, headers, _ = wechat_login()
    row = check_in(client, headers, printed_url(client, admin, station["id"])).get_json()
    db.session.get(CheckIn, row["id"]).queue_number = None
    db.session.commit()

    item = client.get(MINE, headers=headers).get_json()["items"][0]

    assert (item["queue_number"], item["out_of_hours"]) == (None, True)


def test_staff_and_strangers_have_no_check_ins_here(client, admin):
    assert client.get(MINE, headers=admin).status_code == 403
    assert client.get(MINE).status_code == 401


def test_an_event_held_at_a_station_names_both(client, admin, wechat_login):
    station = make_station(client, admin)
    event = open_event(client, admin, station_id=station["id"], title="昱中服务站招聘会")
    _, headers, _ = wechat_login()
    assert check_in(client, headers, event_url(event["id"]), purpose="event").status_code == 201

    item = client.get(MINE, headers=headers).get_json()["items"][0]

    assert item["event"] == {"id": event["id"], "title": "昱中服务站招聘会"}
    assert item["station"] == {"id": station["id"], "name": "昱中就业服务站"}
