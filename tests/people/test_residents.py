"""Residents: the own profile (/me), staff lists and details inside their place, audited reveal."""

import pytest
import sqlalchemy as sa

from app.common.crypto import decrypt, lookup_hash
from app.extensions import db
from app.models import (
    Account,
    AuditEvent,
    Circle,
    City,
    Community,
    District,
    Resident,
    ResidentKeyGroup,
    StatusChange,
    Township,
)
from app.services.people import personal_data
from app.services.people.status import record_status, set_key_groups
from tests.conftest import make_id_number
from tests.support import assign_directly, count

ME = "/api/v1/me"
RESIDENTS = "/api/v1/residents"


@pytest.fixture
def staff_headers(staff_headers):
    """Make staff as conftest does, a community's grid worker also assigned to it.

    Grid workers read residents only in their assigned communities (tests/people/test_scope_privacy.py).
    """

    def factory(role, scope_kind, scope_code):
        account, headers = staff_headers(role, scope_kind, scope_code)
        if role == "grid_worker" and scope_kind == "community":
            assign_directly(account, [scope_code])
        return account, headers

    return factory


def error_of(response) -> dict:
    """Return the error envelope's body."""
    return response.get_json()["error"]


def resident_of_account(account_id: int) -> Resident:
    """Load the resident record of an account afresh, as stored.

    Commits first: whatever a refused request left in the session would be written by the
    next commit, so it must show here.
    """
    db.session.commit()
    return db.session.scalar(sa.select(Resident).where(Resident.account_id == account_id))


def reveal_events(*where) -> list[AuditEvent]:
    """Return the resident.reveal audit events, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "resident.reveal", *where)
            .order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def me(wechat_login, places):
    """Log in a new resident with WeChat; return (account id, headers)."""
    body, headers, _ = wechat_login()
    return body["account"]["id"], headers


# --- /api/v1/me -----------------------------------------------------------------------------


def test_new_resident_has_an_empty_profile(client, me):
    account_id, headers = me
    response = client.get(ME, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    for name in (
        "name",
        "id_number",
        "phone",
        "gender",
        "birth_date",
        "age",
        "community",
        "household_id",
        "home_address",
        "home_lat",
        "home_lng",
        "employment_status",
        "seek_kinds",
        "seek_categories",
        "seek_wage_min",
        "seek_radius_m",
    ):
        assert body[name] is None, name
    assert body["key_groups"] == [] and body["status_changes"] == []
    assert body["phone_bound"] is False
    assert body["id"] == resident_of_account(account_id).id
    assert count(Resident) == 1


def test_me_needs_a_token(client, places):
    assert client.get(ME).status_code == 401
    assert error_of(client.patch(ME, json={"name": "x"}))["code"] == "auth_required"


def test_staff_token_is_refused_on_me(client, staff_headers):
    _, headers = staff_headers("city_admin", "city", "341000000000")
    for response in (client.get(ME, headers=headers), client.patch(ME, json={"name": "x"}, headers=headers)):
        assert response.status_code == 403
        assert error_of(response)["code"] == "role_forbidden"
    assert count(Resident) == 0


def test_patch_name_is_saved(client, me):
    account_id, headers = me
    response = client.patch(ME, json={"name": "王小明"}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["name"] == "王小明"
    assert client.get(ME, headers=headers).get_json()["name"] == "王小明"
    assert resident_of_account(account_id).name == "王小明"


def test_patch_id_number_derives_birth_and_gender_and_masks(client, me):
    account_id, headers = me
    number = make_id_number("19880808")
    response = client.patch(ME, json={"id_number": number}, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["id_number"] == number[:4] + "**********" + number[-4:]
    assert body["birth_date"] == "1988-08-08"
    assert body["gender"] == ("male" if int(number[16]) % 2 else "female")
    assert isinstance(body["age"], int) and body["age"] >= 37
    assert number not in response.get_data(as_text=True)
    resident = resident_of_account(account_id)
    assert decrypt(resident.id_number_enc, "id_number") == number
    assert resident.id_number_hmac == lookup_hash(number, "id_number")


def test_full_width_variant_of_a_used_id_number_is_still_in_use(client, me, make_resident):
    _, headers = me
    number = make_id_number()
    make_resident(id_number=number)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    response = client.patch(ME, json={"id_number": full_width}, headers=headers)
    assert response.status_code == 409
    assert error_of(response)["code"] == "id_number_in_use"


def test_patch_same_id_number_again_is_fine(client, me):
    _, headers = me
    number = make_id_number()
    assert client.patch(ME, json={"id_number": number}, headers=headers).status_code == 200
    assert client.patch(ME, json={"id_number": number}, headers=headers).status_code == 200


def test_id_number_of_another_resident_is_refused_and_nothing_written(client, me, make_resident):
    account_id, headers = me
    number = make_id_number()
    other = make_resident(id_number=number, name="原记录")
    response = client.patch(
        ME, json={"name": "冒用者", "id_number": number, "key_groups": ["veteran"]}, headers=headers
    )
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "id_number_in_use"
    assert error["field"] == "id_number"
    body = client.get(ME, headers=headers).get_json()
    assert body["name"] is None and body["id_number"] is None and body["key_groups"] == []
    mine = resident_of_account(account_id)
    assert mine.name is None and mine.id_number_hmac is None
    assert count(ResidentKeyGroup) == 0
    assert db.session.get(Resident, other.id).name == "原记录"
    assert count(Resident, Resident.id_number_hmac == lookup_hash(number, "id_number")) == 1


def test_id_number_claimed_at_the_same_moment_is_a_conflict(client, me, make_resident, monkeypatch):
    # Two requests pass the lookup together; the unique index must still turn one away cleanly.
    account_id, headers = me
    number = make_id_number()
    make_resident(id_number=number)
    monkeypatch.setattr(personal_data, "_id_number_holder", lambda digest, resident_id: None)
    response = client.patch(ME, json={"name": "同时", "id_number": number}, headers=headers)
    assert response.status_code == 409
    assert error_of(response)["code"] == "id_number_in_use"
    assert resident_of_account(account_id).name is None


def test_patch_home_address_and_location(client, me):
    account_id, headers = me
    response = client.patch(
        ME,
        json={"home_address": "屯溪区黄山东路1号", "home_lat": 29.7161, "home_lng": 118.3175},
        headers=headers,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["home_address"], body["home_lat"], body["home_lng"]) == (
        "屯溪区黄山东路1号",
        29.7161,
        118.3175,
    )
    resident = resident_of_account(account_id)
    assert (resident.home_lat, resident.home_lng) == (29.7161, 118.3175)
    # Moving only the latitude keeps the stored longitude.
    response = client.patch(ME, json={"home_lat": 29.72}, headers=headers)
    assert response.status_code == 200
    assert (response.get_json()["home_lat"], response.get_json()["home_lng"]) == (29.72, 118.3175)
    # Clearing both is allowed.
    response = client.patch(ME, json={"home_lat": None, "home_lng": None}, headers=headers)
    assert response.status_code == 200
    assert resident_of_account(account_id).home_lat is None


def test_latitude_without_longitude_is_refused(client, me):
    account_id, headers = me
    response = client.patch(ME, json={"home_lat": 29.7, "name": "半个坐标"}, headers=headers)
    assert response.status_code == 422
    assert error_of(response)["field"] == "home_lng"
    resident = resident_of_account(account_id)
    assert resident.home_lat is None and resident.name is None


def test_clearing_only_one_coordinate_is_refused(client, me):
    account_id, headers = me
    client.patch(ME, json={"home_lat": 29.7, "home_lng": 118.3}, headers=headers)
    response = client.patch(ME, json={"home_lng": None}, headers=headers)
    assert response.status_code == 422
    assert error_of(response)["field"] == "home_lng"
    assert resident_of_account(account_id).home_lng == 118.3


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"home_lat": 91, "home_lng": 118}, "home_lat"),
        ({"home_lat": 29, "home_lng": -181}, "home_lng"),
        ({"home_lat": 48.85, "home_lng": 2.35}, "home_lng"),
    ],
)
def test_coordinates_outside_china_are_refused(client, me, changes, field):
    _, headers = me
    response = client.patch(ME, json=changes, headers=headers)
    assert response.status_code == 422
    assert error_of(response)["code"] == "coordinates_out_of_range"
    assert error_of(response)["field"] == field


def test_swapped_home_coordinates_are_named(client, me):
    _, headers = me
    response = client.patch(ME, json={"home_lat": 118.318, "home_lng": 29.716}, headers=headers)
    assert response.status_code == 422
    assert error_of(response)["code"] == "coordinates_swapped"
    assert error_of(response)["field"] == "home_lat"


def test_patch_community_sets_the_place(client, me):
    account_id, headers = me
    response = client.patch(ME, json={"community_code": "341002004001"}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["community"] == {
        "kind": "community",
        "code": "341002004001",
        "name": "老街一社区",
    }
    resident = resident_of_account(account_id)
    community = db.session.scalar(sa.select(Community).where(Community.code == "341002004001"))
    township = db.session.scalar(sa.select(Township).where(Township.code == "341002004000"))
    circle = db.session.scalar(sa.select(Circle).where(Circle.key == "chengzhong"))
    district = db.session.scalar(sa.select(District).where(District.code == "341002000000"))
    city = db.session.scalar(sa.select(City).where(City.code == "341000000000"))
    assert (
        resident.community_id,
        resident.township_id,
        resident.circle_id,
        resident.district_id,
        resident.city_id,
    ) == (community.id, township.id, circle.id, district.id, city.id)
    # Clearing it takes the resident out of every place.
    response = client.patch(ME, json={"community_code": None}, headers=headers)
    assert response.status_code == 200 and response.get_json()["community"] is None
    resident = resident_of_account(account_id)
    assert (resident.community_id, resident.township_id, resident.circle_id, resident.city_id) == (
        None,
        None,
        None,
        None,
    )


def test_unknown_community_is_refused(client, me):
    account_id, headers = me
    response = client.patch(ME, json={"community_code": "341002002099", "name": "某人"}, headers=headers)
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("unknown_community", "community_code")
    resident = resident_of_account(account_id)
    assert resident.community_id is None and resident.name is None


def test_malformed_community_code_is_refused(client, me):
    _, headers = me
    response = client.patch(ME, json={"community_code": "3410"}, headers=headers)
    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == ("validation_error", "community_code")


def test_self_reported_status_is_recorded_with_history(client, me):
    account_id, headers = me
    response = client.patch(ME, json={"employment_status": "employed"}, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["employment_status"] == "employed"
    assert [(c["from_status"], c["to_status"], c["source"]) for c in body["status_changes"]] == [
        (None, "employed", "self")
    ]
    response = client.patch(ME, json={"employment_status": "flexible"}, headers=headers)
    assert [
        (c["from_status"], c["to_status"], c["source"]) for c in response.get_json()["status_changes"]
    ] == [
        (None, "employed", "self"),
        ("employed", "flexible", "self"),
    ]
    resident = resident_of_account(account_id)
    changes = db.session.scalars(sa.select(StatusChange).where(StatusChange.resident_id == resident.id)).all()
    assert len(changes) == 2
    assert {c.actor_id for c in changes} == {account_id}
    assert resident.employment_status == "flexible"


def test_same_status_twice_writes_no_history(client, me):
    _, headers = me
    client.patch(ME, json={"employment_status": "student"}, headers=headers)
    response = client.patch(ME, json={"employment_status": "student"}, headers=headers)
    assert response.status_code == 200
    assert len(response.get_json()["status_changes"]) == 1
    assert count(StatusChange) == 1


def test_registered_unemployment_is_not_self_reportable(client, me):
    account_id, headers = me
    client.patch(ME, json={"employment_status": "unemployed"}, headers=headers)
    response = client.patch(
        ME, json={"employment_status": "unemployed_registered", "name": "甲"}, headers=headers
    )
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("status_not_self_reportable", "employment_status")
    resident = resident_of_account(account_id)
    assert resident.employment_status == "unemployed" and resident.name is None
    assert count(StatusChange) == 1


def test_unknown_status_is_refused(client, me):
    _, headers = me
    response = client.patch(ME, json={"employment_status": "rich"}, headers=headers)
    assert response.status_code == 422
    assert error_of(response)["field"] == "employment_status"
    assert count(StatusChange) == 0


def test_self_declarable_key_groups(client, me):
    account_id, headers = me
    response = client.patch(ME, json={"key_groups": ["veteran", "college_graduate"]}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["key_groups"] == ["college_graduate", "veteran"]
    assert count(ResidentKeyGroup) == 2
    response = client.patch(ME, json={"key_groups": ["veteran"]}, headers=headers)
    assert response.get_json()["key_groups"] == ["veteran"]
    # Declared and cleared the same day, the group never applied: no period ending before it began.
    rows = {row.key_group: row for row in db.session.scalars(sa.select(ResidentKeyGroup))}
    assert rows["veteran"].until is None and rows["veteran"].source == "self"
    assert "college_graduate" not in rows
    assert resident_of_account(account_id).key_groups == ["veteran"]


def test_staff_certified_key_group_cannot_be_self_declared(client, me):
    account_id, headers = me
    response = client.patch(
        ME, json={"key_groups": ["veteran", "hard_to_employ"], "name": "自称"}, headers=headers
    )
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("key_group_not_self_declarable", "key_groups")
    assert "hard_to_employ" in error["message"]
    assert resident_of_account(account_id).name is None
    assert count(ResidentKeyGroup) == 0


def test_staff_certified_key_group_cannot_be_cleared_by_the_resident(client, me):
    account_id, headers = me
    resident = resident_of_account(account_id)
    set_key_groups(resident, ["registered_unemployed"])
    db.session.commit()
    response = client.patch(ME, json={"key_groups": []}, headers=headers)
    assert response.status_code == 422
    assert error_of(response)["code"] == "key_group_not_self_declarable"
    assert resident_of_account(account_id).key_groups == ["registered_unemployed"]
    # Keeping it while adding a self-declarable group is fine.
    response = client.patch(
        ME, json={"key_groups": ["registered_unemployed", "migrant_worker"]}, headers=headers
    )
    assert response.status_code == 200
    assert response.get_json()["key_groups"] == ["migrant_worker", "registered_unemployed"]


def test_unknown_key_group_is_refused(client, me):
    _, headers = me
    response = client.patch(ME, json={"key_groups": ["astronaut"]}, headers=headers)
    assert response.status_code == 422
    assert error_of(response)["field"].startswith("key_groups")


def test_seeker_preferences_are_saved(client, me):
    account_id, headers = me
    prefs = {
        "seek_kinds": ["part_time", "gig"],
        "seek_categories": ["catering", "tea_processing"],
        "seek_wage_min": 3500,
        "seek_radius_m": 50000,
    }
    response = client.patch(ME, json=prefs, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert {name: body[name] for name in prefs} == prefs
    resident = resident_of_account(account_id)
    assert resident.seek_kinds == ["part_time", "gig"] and resident.seek_radius_m == 50000


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"seek_kinds": ["astronaut"]}, "seek_kinds"),
        ({"seek_categories": ["piracy"]}, "seek_categories"),
        ({"seek_radius_m": 50001}, "seek_radius_m"),
        ({"seek_radius_m": 10}, "seek_radius_m"),
        ({"seek_wage_min": -1}, "seek_wage_min"),
    ],
)
def test_bad_seeker_preferences_are_refused(client, me, changes, field):
    account_id, headers = me
    response = client.patch(ME, json={**changes, "name": "求职者"}, headers=headers)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["field"].split(".")[0] == field
    resident = resident_of_account(account_id)
    assert resident.name is None and getattr(resident, field) is None


@pytest.mark.parametrize("changes", [{"id_number_hmac": "x"}, {"community_id": 1}, {"phone": "13812345678"}])
def test_fields_a_resident_may_not_set_are_refused(client, me, changes):
    _, headers = me
    response = client.patch(ME, json=changes, headers=headers)
    assert response.status_code == 422
    assert error_of(response)["field"] == next(iter(changes))


def test_bound_phone_is_shown_masked(client, wechat_login, places):
    _, headers, codes = wechat_login(phone="13812345678")
    bound = client.post("/api/v1/auth/wechat-phone", json={"code": codes["phone_code"]}, headers=headers)
    assert bound.status_code == 200
    for response in (bound, client.get(ME, headers=headers)):
        body = response.get_json()
        assert body["phone"] == "138****5678" and body["phone_bound"] is True
        assert "13812345678" not in response.get_data(as_text=True)


# --- staff views ----------------------------------------------------------------------------


@pytest.fixture
def people(make_resident):
    """Residents across the test communities, by a short name."""
    return {
        "yz1a": make_resident("341002002001", name="昱中一甲", status="employed", key_groups=["veteran"]),
        "yz1b": make_resident(
            "341002002001", name="昱中一乙", status="unemployed", key_groups=["hard_to_employ"]
        ),
        "yz2": make_resident("341002002002", name="昱中二", status="unemployed", key_groups=["veteran"]),
        "lj": make_resident("341002004001", name="老街", status="employed"),
        "yd": make_resident("341002001001", name="昱东", status="flexible"),
        "hs": make_resident("341003100001", name="黄山区", status="employed", phone=None),
    }


def listed(client, headers, **query) -> dict:
    """GET the resident list; assert 200 and return the body."""
    response = client.get(RESIDENTS, query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def names(body: dict) -> set[str]:
    """Return the names in a resident page."""
    return {item["name"] for item in body["items"]}


SCOPES = [
    ("grid_worker", "community", "341002002001", {"yz1a", "yz1b"}),
    ("township_admin", "township", "341002002000", {"yz1a", "yz1b", "yz2"}),
    ("operator", "circle", "341002-chengzhong", {"yz1a", "yz1b", "yz2", "lj"}),
    ("station_staff", "circle", "341002-chengdong", {"yd"}),
    ("supervisor", "circle", "341002-chengzhong", {"yz1a", "yz1b", "yz2", "lj"}),
    ("district_admin", "district", "341002000000", {"yz1a", "yz1b", "yz2", "lj", "yd"}),
    ("city_admin", "city", "341000000000", {"yz1a", "yz1b", "yz2", "lj", "yd", "hs"}),
]


@pytest.mark.parametrize(("role", "kind", "code", "visible"), SCOPES)
def test_staff_see_only_residents_in_their_place(client, staff_headers, people, role, kind, code, visible):
    _, headers = staff_headers(role, kind, code)
    body = listed(client, headers)
    assert names(body) == {people[key].name for key in visible}
    assert body["total"] == len(visible)
    for key, resident in people.items():
        response = client.get(f"{RESIDENTS}/{resident.id}", headers=headers)
        if key in visible:
            assert response.status_code == 200
            assert response.get_json()["name"] == resident.name
        else:
            assert response.status_code == 404, key
            assert error_of(response)["code"] == "resident_not_found"
            assert resident.name not in response.get_data(as_text=True)


def test_grid_worker_gets_404_for_a_resident_of_another_community(client, staff_headers, people):
    _, headers = staff_headers("grid_worker", "community", "341002002001")
    response = client.get(f"{RESIDENTS}/{people['lj'].id}", headers=headers)
    assert response.status_code == 404
    assert error_of(response)["code"] == "resident_not_found"
    # The same answer as for an id that does not exist at all: nothing leaks.
    missing = client.get(f"{RESIDENTS}/999999", headers=headers)
    assert missing.status_code == 404 and error_of(missing)["code"] == "resident_not_found"


def test_resident_who_joins_a_community_appears_in_its_list(client, staff_headers, me):
    _, resident_headers = me
    _, headers = staff_headers("grid_worker", "community", "341002002001")
    assert listed(client, headers)["total"] == 0
    client.patch(ME, json={"name": "新来的", "community_code": "341002002001"}, headers=resident_headers)
    assert names(listed(client, headers)) == {"新来的"}


def test_filters(client, staff_headers, people):
    _, headers = staff_headers("city_admin", "city", "341000000000")
    assert names(listed(client, headers, community="341002002002")) == {"昱中二"}
    assert names(listed(client, headers, status="employed")) == {"昱中一甲", "老街", "黄山区"}
    assert names(listed(client, headers, key_group="veteran")) == {"昱中一甲", "昱中二"}
    body = listed(client, headers, community="341002002001", status="unemployed", key_group="hard_to_employ")
    assert names(body) == {"昱中一乙"} and body["total"] == 1
    assert listed(client, headers, community="341002002001", key_group="migrant_worker")["total"] == 0
    assert listed(client, headers, community="341002009999")["total"] == 0


def test_filters_never_widen_the_scope(client, staff_headers, people):
    _, headers = staff_headers("grid_worker", "community", "341002002001")
    body = listed(client, headers, community="341002004001")
    assert body["items"] == [] and body["total"] == 0
    assert names(listed(client, headers, status="employed")) == {"昱中一甲"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "rich"}, "status"),
        ({"key_group": "astronaut"}, "key_group"),
        ({"community": "3410"}, "community"),
        ({"per_page": 101}, "per_page"),
        ({"per_page": 0}, "per_page"),
        ({"page": 0}, "page"),
        ({"page": "one"}, "page"),
    ],
)
def test_bad_list_queries_are_refused(client, staff_headers, people, query, field):
    _, headers = staff_headers("city_admin", "city", "341000000000")
    response = client.get(RESIDENTS, query_string=query, headers=headers)
    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == ("validation_error", field)


def test_paging(client, staff_headers, people, make_resident):
    for number in range(5):
        make_resident("341002001001", name=f"翻页{number}")
    _, headers = staff_headers("city_admin", "city", "341000000000")
    first = listed(client, headers, per_page=4)
    assert (first["page"], first["per_page"], first["total"], len(first["items"])) == (1, 4, 11, 4)
    pages = [first] + [listed(client, headers, per_page=4, page=page) for page in (2, 3)]
    assert [len(p["items"]) for p in pages] == [4, 4, 3]
    ids = [item["id"] for p in pages for item in p["items"]]
    assert len(set(ids)) == 11 and ids == sorted(ids)
    assert listed(client, headers, per_page=4, page=4)["items"] == []
    assert listed(client, headers, per_page=100)["total"] == 11
    default = listed(client, headers)
    assert (default["page"], default["per_page"]) == (1, 20)
    filtered = listed(client, headers, community="341002001001", per_page=2, page=3)
    assert (filtered["total"], len(filtered["items"])) == (6, 2)


def test_list_and_detail_mask_personal_data(client, staff_headers, make_resident):
    number = make_id_number("19700505")
    resident = make_resident(id_number=number, phone="+86 138 1234 5678")
    _, headers = staff_headers("grid_worker", "community", "341002002001")
    masked_id = number[:4] + "**********" + number[-4:]
    listing = client.get(RESIDENTS, headers=headers)
    detail = client.get(f"{RESIDENTS}/{resident.id}", headers=headers)
    item = listing.get_json()["items"][0]
    for body in (item, detail.get_json()):
        assert body["id_number"] == masked_id
        assert body["phone"] == "138****5678"
        assert body["gender"] in {"male", "female"}
        assert body["community"] == {"kind": "community", "code": "341002002001", "name": "昱中一社区"}
    for response in (listing, detail):
        text = response.get_data(as_text=True)
        assert number not in text and "13812345678" not in text
        assert "hmac" not in text and "_enc" not in text


def test_detail_includes_status_history(client, staff_headers, make_resident):
    resident = make_resident(status="unemployed")
    staff, headers = staff_headers("grid_worker", "community", "341002002001")
    record_status(resident, "employed", "visit", actor=db.session.get(Account, staff.id), note="入户走访")
    db.session.commit()
    body = client.get(f"{RESIDENTS}/{resident.id}", headers=headers).get_json()
    assert body["employment_status"] == "employed"
    history = [(c["from_status"], c["to_status"], c["source"], c["note"]) for c in body["status_changes"]]
    assert history == [(None, "unemployed", "staff", None), ("unemployed", "employed", "visit", "入户走访")]
    assert all(c["occurred_at"].endswith("+00:00") for c in body["status_changes"])
    # The list stays light: no history there.
    item = client.get(RESIDENTS, headers=headers).get_json()["items"][0]
    assert "status_changes" not in item


def test_resident_token_is_refused_on_staff_views(client, me, people):
    _, headers = me
    for response in (
        client.get(RESIDENTS, headers=headers),
        client.get(f"{RESIDENTS}/{people['yz1a'].id}", headers=headers),
        client.post(f"{RESIDENTS}/{people['yz1a'].id}/reveal", json={"reason": "好奇"}, headers=headers),
    ):
        assert response.status_code == 403
        assert error_of(response)["code"] == "role_forbidden"
    assert reveal_events() == []


def test_staff_views_need_a_token(client, people):
    assert client.get(RESIDENTS).status_code == 401
    assert client.get(f"{RESIDENTS}/{people['yz1a'].id}").status_code == 401
    assert client.post(f"{RESIDENTS}/{people['yz1a'].id}/reveal", json={"reason": "x"}).status_code == 401


# --- reveal ---------------------------------------------------------------------------------

REVEALERS = [
    ("grid_worker", "community", "341002002001"),
    ("station_staff", "township", "341002002000"),
    ("township_admin", "township", "341002002000"),
    ("district_admin", "district", "341002000000"),
    ("city_admin", "city", "341000000000"),
]


@pytest.mark.parametrize(("role", "kind", "code"), REVEALERS)
def test_allowed_roles_reveal_and_are_audited(client, staff_headers, make_resident, role, kind, code):
    number = make_id_number("19660606")
    resident = make_resident(id_number=number, phone="13812345678")
    staff, headers = staff_headers(role, kind, code)
    response = client.post(
        f"{RESIDENTS}/{resident.id}/reveal",
        json={"fields": ["id_number", "phone"], "reason": "办理失业登记"},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.get_json() == {"id": resident.id, "id_number": number, "phone": "13812345678"}
    assert response.headers["Cache-Control"] == "no-store"
    (event,) = reveal_events()
    assert (event.outcome, event.actor_id, event.object_type, event.object_id) == (
        "success",
        staff.id,
        "resident",
        str(resident.id),
    )
    assert event.detail == {"fields": ["id_number", "phone"], "reason": "办理失业登记"}
    assert event.ip == "127.0.0.1"
    assert event.actor_label == staff.username
    # The audit log itself never holds the revealed values.
    assert number not in str(event.detail) and "13812345678" not in str(event.detail)


def test_reveal_only_the_fields_asked_for(client, staff_headers, make_resident):
    resident = make_resident(phone="13912345678")
    _, headers = staff_headers("grid_worker", "community", "341002002001")
    response = client.post(
        f"{RESIDENTS}/{resident.id}/reveal", json={"fields": ["phone"], "reason": "电话回访"}, headers=headers
    )
    assert response.status_code == 200
    assert response.get_json() == {"id": resident.id, "phone": "13912345678"}
    assert reveal_events()[0].detail == {"fields": ["phone"], "reason": "电话回访"}


def test_reveal_defaults_to_both_fields_and_handles_a_missing_phone(client, staff_headers, make_resident):
    number = make_id_number()
    resident = make_resident(id_number=number, phone=None)
    _, headers = staff_headers("grid_worker", "community", "341002002001")
    response = client.post(f"{RESIDENTS}/{resident.id}/reveal", json={"reason": "核对身份"}, headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"id": resident.id, "id_number": number, "phone": None}


@pytest.mark.parametrize(
    ("role", "kind", "code"),
    [
        ("operator", "circle", "341002-chengzhong"),
        ("supervisor", "circle", "341002-chengzhong"),
        ("supervisor", "city", "341000000000"),
    ],
)
def test_contractors_may_not_reveal_and_the_attempt_is_audited(
    client, staff_headers, make_resident, role, kind, code
):
    number = make_id_number()
    resident = make_resident(id_number=number, phone="13812345678")
    staff, headers = staff_headers(role, kind, code)
    response = client.post(f"{RESIDENTS}/{resident.id}/reveal", json={"reason": "想看看"}, headers=headers)
    assert response.status_code == 403
    assert error_of(response)["code"] == "reveal_forbidden"
    text = response.get_data(as_text=True)
    assert number not in text and "13812345678" not in text
    (event,) = reveal_events()
    assert (event.outcome, event.actor_id, event.object_id) == ("denied", staff.id, str(resident.id))
    assert event.detail == {"fields": ["id_number", "phone"], "reason": "想看看"}


def test_reveal_outside_the_scope_is_404_and_reveals_nothing(client, staff_headers, people):
    _, headers = staff_headers("grid_worker", "community", "341002002001")
    response = client.post(
        f"{RESIDENTS}/{people['lj'].id}/reveal", json={"reason": "越界查询"}, headers=headers
    )
    assert response.status_code == 404
    assert error_of(response)["code"] == "resident_not_found"
    assert set(response.get_json()) == {"error"}
    assert reveal_events(AuditEvent.outcome == "success") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reason"),
        ({"fields": ["phone"]}, "reason"),
        ({"reason": "x"}, "reason"),
        ({"reason": "查" * 201}, "reason"),
        ({"fields": ["name"], "reason": "核对"}, "fields"),
        ({"fields": "phone", "reason": "核对"}, "fields"),
    ],
)
def test_reveal_needs_a_reason_and_known_fields(client, staff_headers, people, body, field):
    _, headers = staff_headers("grid_worker", "community", "341002002001")
    response = client.post(f"{RESIDENTS}/{people['yz1a'].id}/reveal", json=body, headers=headers)
    assert response.status_code == 422
    assert error_of(response)["field"].split(".")[0] == field
    assert reveal_events() == []


def test_lists_hide_the_house_number_but_the_detail_shows_the_address(client, staff_headers, make_resident):
    resident = make_resident()
    resident.home_address = "屯溪区黄山东路88号3栋501"
    db.session.commit()
    _, headers = staff_headers("grid_worker", "community", "341002002001")
    item = client.get(RESIDENTS, headers=headers).get_json()["items"][0]
    detail = client.get(f"{RESIDENTS}/{resident.id}", headers=headers).get_json()
    assert item["home_address"] == "屯溪区黄山东****"
    assert detail["home_address"] == "屯溪区黄山东路88号3栋501"
