"""Grid workers read people only in the communities assigned to them, not across their whole place."""

from datetime import date, datetime

import pytest

from app.extensions import db
from app.models import Push
from app.services.people.places import community_by_code, place_columns
from tests.support import assign_directly, error_of

RESIDENTS = "/api/v1/residents"
YUZHONG_1, YUZHONG_2 = "341002002001", "341002002002"


@pytest.fixture
def worker(staff_headers):
    """A grid worker placed over the whole 昱中 township but assigned to 昱中一社区 only."""
    account, headers = staff_headers("grid_worker", "township", "341002002000")
    assign_directly(account, [YUZHONG_1])
    return account, headers


def test_a_grid_worker_reads_residents_of_assigned_communities_only(client, worker, make_resident):
    _, headers = worker
    mine = make_resident(YUZHONG_1, name="昱中一居民")
    unassigned = make_resident(YUZHONG_2, name="昱中二居民")

    listing = client.get(RESIDENTS, headers=headers).get_json()
    assert [item["id"] for item in listing["items"]] == [mine.id] and listing["total"] == 1
    filtered = client.get(RESIDENTS, query_string={"community": YUZHONG_2}, headers=headers).get_json()
    assert filtered["items"] == [] and filtered["total"] == 0
    assert client.get(f"{RESIDENTS}/{mine.id}", headers=headers).status_code == 200
    for path in (f"{RESIDENTS}/{unassigned.id}", f"{RESIDENTS}/{unassigned.id}/status-history"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "resident_not_found"
        assert "昱中二居民" not in response.get_data(as_text=True)


def test_a_grid_worker_cannot_reveal_or_read_the_resume_of_an_unassigned_resident(
    client, worker, make_resident
):
    _, headers = worker
    unassigned = make_resident(YUZHONG_2)
    reveal = client.post(f"{RESIDENTS}/{unassigned.id}/reveal", json={"reason": "核对身份"}, headers=headers)
    assert reveal.status_code == 404 and error_of(reveal)["code"] == "resident_not_found"
    resume = client.get(f"/api/v1/resumes/{unassigned.id}", headers=headers)
    assert resume.status_code == 404


def test_a_township_admin_still_reads_the_whole_township(client, staff_headers, make_resident):
    _, headers = staff_headers("township_admin", "township", "341002002000")
    make_resident(YUZHONG_1), make_resident(YUZHONG_2)
    assert client.get(RESIDENTS, headers=headers).get_json()["total"] == 2


def test_a_grid_worker_follows_pushes_of_assigned_communities_only(client, worker, make_resident):
    account, headers = worker
    residents = {code: make_resident(code) for code in (YUZHONG_1, YUZHONG_2)}
    for code, resident in residents.items():
        db.session.add(
            Push(
                account_id=account.id,
                kind="visit_notice",
                object_type="resident",
                object_id=str(resident.id),
                data={},
                day=date.today(),
                send_after=datetime(2026, 1, 1),
                **place_columns(community_by_code(code)),
            )
        )
    db.session.commit()
    items = client.get("/api/v1/pushes", headers=headers).get_json()["items"]
    assert [item["object_id"] for item in items] == [str(residents[YUZHONG_1].id)]


def test_candidates_name_only_the_seekers_a_grid_worker_follows(client, worker, make_seeker, make_employer):
    """A job's radius crosses communities: ids and priority only for the worker's own residents."""
    _, headers = worker
    _, boss = make_employer()
    job = client.post(
        "/api/v1/jobs",
        json={
            "title": "包装工",
            "kind": "regular",
            "category": "manufacturing",
            "lat": 29.7160,
            "lng": 118.3180,
            "wage_min": 3000,
            "wage_max": 4000,
        },
        headers=boss,
    )
    assert job.status_code == 201, job.get_json()
    seekers = {}
    for name, code in (("张昱一", YUZHONG_1), ("李昱二", YUZHONG_2)):
        seeker = make_seeker(name, 29.7165, 118.3185)
        placed = client.patch("/api/v1/me", json={"community_code": code}, headers=seeker.headers)
        assert placed.status_code == 200, placed.get_json()
        seekers[code] = seeker.resident_id

    response = client.get(f"/api/v1/jobs/{job.get_json()['id']}/candidates", headers=headers)

    assert response.status_code == 200, response.get_json()
    shown = {item["name"]: (item["resident_id"], item["priority"]) for item in response.get_json()["items"]}
    assert shown["张**"] == (seekers[YUZHONG_1], False)
    assert shown["李**"] == (None, None)
