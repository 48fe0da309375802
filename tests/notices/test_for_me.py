"""Notices for me: by my place and my audience, out today, newest first, with read state and unread count."""

from datetime import timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.extensions import db
from app.models import Notice, NoticeRead, Resident
from app.services.people.status import set_key_groups
from tests.notices.conftest import ELSEWHERE, MINE, NOTICES, headers_of
from tests.support import error_of


def _ids(client, headers, **query):
    response = client.get(MINE, query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_a_resident_sees_the_notices_of_their_place_and_above_newest_first(client, person, published):
    community = published(title="社区通知")
    township = published(title="街道通知", place_kind="township", place_code="341002002000")
    district = published(title="区通知", place_kind="district", place_code="341002000000")
    other = published(title="别的街道的通知", place_kind="township", place_code="341002002000")
    _, here = person()
    _, elsewhere = person(ELSEWHERE)

    assert _ids(client, here) == [other, district, township, community]
    assert _ids(client, elsewhere) == [district]


def test_opening_a_notice_marks_it_read_once(client, person, published):
    first, second = published(), published(title="第二条")
    _, headers = person()

    before = client.get(MINE, headers=headers).get_json()
    opened = client.get(f"{NOTICES}/{first}", headers=headers)
    again = client.get(f"{NOTICES}/{first}", headers=headers)
    after = client.get(MINE, headers=headers).get_json()

    assert before["unread"] == 2 and all(item["read_at"] is None for item in before["items"])
    assert opened.status_code == 200 and opened.get_json()["read_at"] is not None
    assert again.get_json()["read_at"] == opened.get_json()["read_at"]
    # A reader sees the notice, not its making: no author, reviewer or reviewer's note.
    assert {opened.get_json()[k] for k in ("author_id", "reviewer_id", "review_note")} == {None}
    assert after["unread"] == 1
    assert {item["id"]: item["read_at"] is not None for item in after["items"]} == {
        first: True,
        second: False,
    }
    assert _ids(client, headers, unread="true") == [second]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NoticeRead)) == 1


def test_a_notice_for_another_place_is_a_404_and_not_marked(client, person, published):
    notice_id = published()
    _, elsewhere = person(ELSEWHERE)

    response = client.get(f"{NOTICES}/{notice_id}", headers=elsewhere)

    assert response.status_code == 404 and error_of(response)["code"] == "notice_not_found"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NoticeRead)) == 0


def test_only_within_validity_and_while_published(client, crew, person, published):
    today = local_day()
    later = published(valid_from=(today + timedelta(days=2)).isoformat())
    ended = published()
    withdrawn = published()
    live = published()
    db.session.execute(
        sa.update(Notice).where(Notice.id == ended).values(valid_until=today - timedelta(days=1))
    )
    db.session.commit()
    client.post(
        f"{NOTICES}/{withdrawn}/withdraw", json={"reason": "撤回"}, headers=headers_of(crew, "operator")
    )
    _, headers = person()

    assert _ids(client, headers) == [live]
    assert client.get(f"{NOTICES}/{later}", headers=headers).status_code == 404


def test_key_group_and_seeker_audiences(client, person, published):
    veterans = published(audience="key_group", audience_value="veteran")
    seekers = published(audience="seekers")
    veteran_id, veteran = person()
    _, plain = person()
    resident = db.session.get(Resident, veteran_id)
    set_key_groups(resident, ["veteran"])
    resident.employment_status = "unemployed"
    db.session.commit()

    assert _ids(client, veteran) == [seekers, veterans]
    assert _ids(client, plain) == []


def test_employers_and_staff_audiences(client, crew, person, published, make_employer, staff_headers):
    to_employers = published(audience="employers", place_kind="township", place_code="341002002000")
    to_grid_workers = published(audience="staff", audience_value="grid_worker")
    to_all_staff = published(audience="staff", place_kind="district", place_code="341002000000")
    _, employer = make_employer(lat=29.7160, lng=118.3180)  # 昱中
    _, grid_worker = staff_headers("grid_worker", "community", "341002002001")
    _, station_staff = staff_headers("station_staff", "township", "341002002000")
    _, resident = person()

    assert _ids(client, employer) == [to_employers]
    assert _ids(client, grid_worker) == [to_all_staff, to_grid_workers]
    assert _ids(client, station_staff) == [to_all_staff]
    assert _ids(client, resident) == []
