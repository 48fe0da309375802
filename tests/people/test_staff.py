"""Staff accounts: administrators create, list, read and change them inside their own place."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.security import check_password_hash

from app.extensions import db
from app.models import Account, AuditEvent, AuthToken, utcnow
from tests.conftest import PASSWORD
from tests.support import error_of

STAFF = "/api/v1/staff"
LOGIN = "/api/v1/auth/login"
CITY = "341000000000"  # 黄山市
TUNXI = "341002000000"  # 屯溪区
HUANGSHAN_QU = "341003000000"  # 黄山区
YUZHONG = "341002002000"  # 昱中街道, in the 城中 circle
LAOJIE = "341002004000"  # 老街街道, in the 城中 circle
YUDONG = "341002001000"  # 昱东街道, in the 城东 circle
GANTANG = "341003100000"  # 甘棠镇, in 黄山区
YUZHONG_1 = "341002002001"  # 昱中一社区
YUZHONG_2 = "341002002002"  # 昱中二社区
LAOJIE_1 = "341002004001"  # 老街一社区
YUDONG_1 = "341002001001"  # 昱东一社区
GANTANG_1 = "341003100001"  # 黄山区一村 (甘棠镇)
CHENGZHONG = "341002-chengzhong"
CHENGDONG = "341002-chengdong"
NEW_PASSWORD = "a-brand-new-password"


def staff_body(username="new-staff", role="grid_worker", kind="community", code=YUZHONG_1, **extra):
    """Return a POST /staff body."""
    body = {"username": username, "password": PASSWORD, "role": role}
    return body | {"scope": {"kind": kind, "code": code}} | extra


def account_count():
    """Return how many accounts exist."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Account))


def by_username(username):
    """Return the account with this username, fresh from the database."""
    db.session.expire_all()
    return db.session.scalar(sa.select(Account).where(Account.username == username))


def reload(account_id):
    """Return an account fresh from the database."""
    db.session.expire_all()
    return db.session.get(Account, account_id)


def events(action):
    """Return the audit events of one action, oldest first."""
    return list(
        db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def live_tokens(account_id):
    """Return how many unrevoked tokens an account has."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuthToken)
        .where(AuthToken.account_id == account_id, AuthToken.revoked_at.is_(None))
    )


def token_of(client, username, password=PASSWORD):
    """Log in and return Authorization headers."""
    response = client.post(LOGIN, json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


# --- create -----------------------------------------------------------------------------------------


def test_city_admin_creates_a_district_admin(client, staff_headers):
    admin, headers = staff_headers("city_admin", "city", CITY)

    response = client.post(
        STAFF,
        json=staff_body("Tunxi-Boss", "district_admin", "district", TUNXI, display_name="屯溪区人社局"),
        headers=headers,
    )

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    created = by_username("tunxi-boss")
    assert body == {
        "id": created.id,
        "role": "district_admin",
        "username": "tunxi-boss",
        "display_name": "屯溪区人社局",
        "scope": {"kind": "district", "code": TUNXI, "name": "屯溪区"},
        "is_active": True,
        "locked_until": None,
        "last_login_at": None,
        "created_at": body["created_at"],
        "operator_id": None,  # an administrator works for no operator
        "employment_type": None,
    }
    assert body["created_at"].endswith("+00:00")
    assert "password" not in body and "password_hash" not in body
    assert created.created_by_id == admin.id
    assert created.password_hash != PASSWORD
    assert check_password_hash(created.password_hash, PASSWORD)
    # The new administrator can log in straight away.
    assert client.post(LOGIN, json={"username": "tunxi-boss", "password": PASSWORD}).status_code == 200

    (event,) = [e for e in events("staff.create") if e.actor_id == admin.id]
    assert (event.object_type, event.object_id, event.outcome, event.ip) == (
        "account",
        str(created.id),
        "success",
        "127.0.0.1",
    )
    assert event.detail == {
        "username": "tunxi-boss",
        "role": "district_admin",
        "scope": {"kind": "district", "code": TUNXI},
    }
    assert PASSWORD not in str(event.detail)


@pytest.mark.parametrize(
    ("actor", "new"),
    [
        (("city_admin", "city", CITY), ("city_admin", "city", CITY)),
        (("city_admin", "city", CITY), ("supervisor", "circle", CHENGZHONG)),
        (("city_admin", "city", CITY), ("grid_worker", "community", GANTANG_1)),
        (("district_admin", "district", TUNXI), ("township_admin", "township", YUZHONG)),
        (("district_admin", "district", TUNXI), ("operator", "circle", CHENGZHONG)),
        (("district_admin", "district", TUNXI), ("operator", "district", TUNXI)),
        (("district_admin", "district", TUNXI), ("station_staff", "township", YUDONG)),
        (("district_admin", "district", TUNXI), ("grid_worker", "community", YUDONG_1)),
        (("township_admin", "township", YUZHONG), ("grid_worker", "community", YUZHONG_2)),
        (("township_admin", "township", YUZHONG), ("station_staff", "township", YUZHONG)),
        (("operator", "circle", CHENGZHONG), ("station_staff", "circle", CHENGZHONG)),
        (("operator", "circle", CHENGZHONG), ("station_staff", "township", LAOJIE)),
        (("operator", "circle", CHENGZHONG), ("grid_worker", "community", LAOJIE_1)),
    ],
    ids=lambda value: "-".join(value[:2]),
)
def test_admins_create_the_roles_they_may_give_inside_their_area(client, staff_headers, actor, new):
    _, headers = staff_headers(*actor)
    role, kind, code = new

    response = client.post(STAFF, json=staff_body("made-here", role, kind, code), headers=headers)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["role"], body["scope"]["kind"], body["scope"]["code"]) == (role, kind, code)
    created = by_username("made-here")
    assert (created.role, created.scope_kind) == (role, kind)


@pytest.mark.parametrize(
    ("actor", "new"),
    [
        (("district_admin", "district", TUNXI), ("township_admin", "township", GANTANG)),
        (("district_admin", "district", TUNXI), ("grid_worker", "community", GANTANG_1)),
        (("district_admin", "district", TUNXI), ("operator", "district", HUANGSHAN_QU)),
        (("township_admin", "township", YUZHONG), ("grid_worker", "community", LAOJIE_1)),
        (("township_admin", "township", YUZHONG), ("station_staff", "township", LAOJIE)),
        # A circle is bigger than one of its townships.
        (("township_admin", "township", YUZHONG), ("station_staff", "circle", CHENGZHONG)),
        (("operator", "circle", CHENGZHONG), ("grid_worker", "community", YUDONG_1)),
        (("operator", "circle", CHENGZHONG), ("station_staff", "circle", CHENGDONG)),
    ],
    ids=lambda value: "-".join(value[:2]),
)
def test_admins_cannot_create_staff_outside_their_area(client, staff_headers, actor, new):
    _, headers = staff_headers(*actor)
    before = account_count()

    response = client.post(STAFF, json=staff_body("made-outside", *new), headers=headers)

    assert response.status_code == 403
    assert error_of(response)["code"] == "scope_outside_yours"
    assert account_count() == before
    assert by_username("made-outside") is None
    assert [e for e in events("staff.create") if e.detail["username"] == "made-outside"] == []


@pytest.mark.parametrize(
    ("actor", "new"),
    [
        (("township_admin", "township", YUZHONG), ("operator", "circle", CHENGZHONG)),
        (("township_admin", "township", YUZHONG), ("township_admin", "township", YUZHONG)),
        (("district_admin", "district", TUNXI), ("district_admin", "district", TUNXI)),
        (("district_admin", "district", TUNXI), ("city_admin", "city", CITY)),
        (("district_admin", "district", TUNXI), ("supervisor", "district", TUNXI)),
        (("operator", "circle", CHENGZHONG), ("operator", "circle", CHENGZHONG)),
        (("operator", "circle", CHENGZHONG), ("township_admin", "township", YUZHONG)),
        (("grid_worker", "community", YUZHONG_1), ("grid_worker", "community", YUZHONG_1)),
        (("station_staff", "township", YUZHONG), ("grid_worker", "community", YUZHONG_1)),
        (("supervisor", "city", CITY), ("grid_worker", "community", YUZHONG_1)),
        (("supervisor", "circle", CHENGZHONG), ("station_staff", "township", YUZHONG)),
    ],
    ids=lambda value: "-".join(value[:2]),
)
def test_roles_give_only_the_roles_below_them(client, staff_headers, actor, new):
    _, headers = staff_headers(*actor)
    before = account_count()

    response = client.post(STAFF, json=staff_body("not-allowed", *new), headers=headers)

    assert response.status_code == 403
    assert error_of(response)["code"] == "role_not_assignable"
    assert account_count() == before


@pytest.mark.parametrize(
    ("role", "kind", "code"),
    [
        ("grid_worker", "community", YUZHONG_1),
        ("station_staff", "circle", CHENGZHONG),
        ("supervisor", "city", CITY),
    ],
)
def test_staff_who_manage_nobody_are_refused_whatever_they_send(client, staff_headers, role, kind, code):
    _, headers = staff_headers(role, kind, code)

    # Even a body that is otherwise wrong: they learn nothing about places or usernames.
    response = client.post(
        STAFF, json=staff_body("x-nobody", "grid_worker", "city", "999999999999"), headers=headers
    )

    assert response.status_code == 403
    assert error_of(response)["code"] == "role_not_assignable"


@pytest.mark.parametrize(
    ("role", "kind", "code"),
    [
        ("district_admin", "township", YUZHONG),
        ("township_admin", "district", TUNXI),
        ("township_admin", "community", YUZHONG_1),
        ("grid_worker", "city", CITY),
        ("grid_worker", "district", TUNXI),
        ("station_staff", "community", YUZHONG_1),
        ("operator", "township", YUZHONG),
        ("supervisor", "community", YUZHONG_1),
        ("city_admin", "district", TUNXI),
    ],
)
def test_a_role_at_the_wrong_level_of_place_is_refused(client, staff_headers, role, kind, code):
    _, headers = staff_headers("city_admin", "city", CITY)
    before = account_count()

    response = client.post(STAFF, json=staff_body("wrong-level", role, kind, code), headers=headers)

    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("scope_kind_not_allowed", "scope.kind")
    assert account_count() == before


@pytest.mark.parametrize(
    ("kind", "code", "role"),
    [
        ("township", "341002999000", "township_admin"),
        ("community", "341002002999", "grid_worker"),
        ("district", "341099000000", "district_admin"),
        ("circle", "341002-nowhere", "operator"),
        ("circle", "chengzhong", "operator"),
        ("circle", "341003-chengzhong", "operator"),
        ("city", "340100000000", "city_admin"),
    ],
)
def test_an_unknown_place_is_refused(client, staff_headers, kind, code, role):
    _, headers = staff_headers("city_admin", "city", CITY)
    before = account_count()

    response = client.post(STAFF, json=staff_body("no-place", role, kind, code), headers=headers)

    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("unknown_place", "scope.code")
    assert account_count() == before


def test_the_circle_code_may_use_the_full_district_code(client, staff_headers):
    _, headers = staff_headers("city_admin", "city", CITY)

    response = client.post(
        STAFF, json=staff_body("full-code", "operator", "circle", "341002000000-chengzhong"), headers=headers
    )

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["scope"]["code"] == CHENGZHONG


@pytest.mark.parametrize("username", ["taken-name", "Taken-Name", " taken-name "])
def test_a_taken_username_is_refused(client, staff_headers, make_staff, username):
    _, headers = staff_headers("district_admin", "district", TUNXI)
    make_staff("grid_worker", "community", YUDONG_1, username="taken-name")
    before = account_count()

    response = client.post(STAFF, json=staff_body(username), headers=headers)

    assert response.status_code == 409
    error = error_of(response)
    assert (error["code"], error["field"]) == ("username_taken", "username")
    assert account_count() == before
    assert by_username("taken-name").scope_kind == "community"


def test_a_short_password_is_refused(app, client, staff_headers):
    _, headers = staff_headers("district_admin", "district", TUNXI)
    short = "x" * (app.config["PASSWORD_MIN_LENGTH"] - 1)

    response = client.post(STAFF, json=staff_body("short-pw") | {"password": short}, headers=headers)

    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("password_too_short", "password")
    assert by_username("short-pw") is None


@pytest.mark.parametrize("username", ["has space", "网格员", "-leading-dash", "UPPER_but_ok?", "ab"])
def test_a_malformed_username_is_refused(client, staff_headers, username):
    _, headers = staff_headers("district_admin", "district", TUNXI)
    before = account_count()

    response = client.post(STAFF, json=staff_body(username), headers=headers)

    assert response.status_code == 422
    error = error_of(response)
    assert error["field"] == "username"
    assert error["code"] in {"invalid_username", "validation_error"}
    assert account_count() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"role": None}, "role"),
        ({"role": "resident"}, "role"),
        ({"role": "mayor"}, "role"),
        ({"scope": None}, "scope"),
        ({"scope": {"kind": "province", "code": "340000000000"}}, "scope.kind"),
        ({"scope": {"kind": "community"}}, "scope.code"),
        ({"scope": {"kind": "community", "code": YUZHONG_1, "extra": 1}}, "scope.extra"),
        ({"scope": "341002002001"}, "scope._schema"),
        ({"password": 1234567890123}, "password"),
        ({"is_admin": True}, "is_admin"),
    ],
    ids=str,
)
def test_bad_create_input_gets_a_422_naming_the_field(client, staff_headers, change, field):
    _, headers = staff_headers("district_admin", "district", TUNXI)
    body = {k: v for k, v in (staff_body("bad-input") | change).items() if v is not None}
    before = account_count()

    response = client.post(STAFF, json=body, headers=headers)

    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["field"] == field, error
    assert account_count() == before


def test_creating_staff_needs_a_staff_token(client, places):
    response = client.post(STAFF, json=staff_body())

    assert response.status_code == 401
    assert error_of(response)["code"] == "auth_required"


# --- list and read ----------------------------------------------------------------------------------


@pytest.fixture
def roster(make_staff):
    """Staff across 屯溪区 and 黄山区, by username."""
    specs = [
        ("city-boss", "city_admin", "city", CITY),
        ("tunxi-admin", "district_admin", "district", TUNXI),
        ("hsq-admin", "district_admin", "district", HUANGSHAN_QU),
        ("yuzhong-admin", "township_admin", "township", YUZHONG),
        ("gantang-admin", "township_admin", "township", GANTANG),
        ("cz-operator", "operator", "circle", CHENGZHONG),
        ("yuzhong-grid", "grid_worker", "community", YUZHONG_1),
        ("laojie-grid", "grid_worker", "community", LAOJIE_1),
        ("yudong-grid", "grid_worker", "community", YUDONG_1),
        ("gantang-grid", "grid_worker", "community", GANTANG_1),
        ("yuzhong-station", "station_staff", "township", YUZHONG),
        ("city-supervisor", "supervisor", "city", CITY),
    ]
    return {name: make_staff(role, kind, code, username=name) for name, role, kind, code in specs}


def listed(client, headers, **query):
    """Return the usernames in the staff list (one page) and the response body."""
    response = client.get(STAFF, query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return [item["username"] for item in body["items"]], body


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        (
            "city-boss",
            {
                "city-boss",
                "tunxi-admin",
                "hsq-admin",
                "yuzhong-admin",
                "gantang-admin",
                "cz-operator",
                "yuzhong-grid",
                "laojie-grid",
                "yudong-grid",
                "gantang-grid",
                "yuzhong-station",
                "city-supervisor",
            },
        ),
        (
            "tunxi-admin",
            {"yuzhong-admin", "cz-operator", "yuzhong-grid", "laojie-grid", "yudong-grid", "yuzhong-station"},
        ),
        ("hsq-admin", {"gantang-admin", "gantang-grid"}),
        ("yuzhong-admin", {"yuzhong-grid", "yuzhong-station"}),
        ("cz-operator", {"yuzhong-grid", "laojie-grid", "yuzhong-station"}),
        ("yuzhong-grid", set()),
        ("yuzhong-station", set()),
        ("city-supervisor", set()),
    ],
)
def test_the_staff_list_shows_only_the_accounts_the_caller_manages(client, roster, viewer, expected):
    names, body = listed(client, token_of(client, viewer), per_page=100)

    assert set(names) == expected
    assert len(names) == len(expected)
    assert body["total"] == len(expected)
    assert (body["page"], body["per_page"]) == (1, 100)


def test_the_list_and_the_detail_agree_on_who_is_managed(client, roster, make_staff):
    from app.models import Circle, Community

    # 昱东一社区 is served by the 城中 circle although its township belongs to 城东: it is in both.
    community = db.session.scalar(sa.select(Community).where(Community.code == YUDONG_1))
    community.circle_id = db.session.scalar(sa.select(Circle.id).where(Circle.key == "chengzhong"))
    db.session.commit()
    make_staff("operator", "circle", CHENGDONG, username="cd-operator")
    make_staff("operator", "district", TUNXI, username="tunxi-operator")
    make_staff("station_staff", "circle", CHENGDONG, username="cd-station")
    make_staff("grid_worker", "circle", CHENGZHONG, username="cz-grid")
    make_staff("grid_worker", "township", YUDONG, username="yudong-town-grid")
    staff = list(db.session.scalars(sa.select(Account).where(Account.username.is_not(None))))

    listed_by = {}
    for viewer in ("city-boss", "tunxi-admin", "hsq-admin", "yuzhong-admin", "cz-operator", "cd-operator"):
        headers = token_of(client, viewer)
        names, _ = listed(client, headers, per_page=100)
        readable = {
            a.username for a in staff if client.get(f"{STAFF}/{a.id}", headers=headers).status_code == 200
        }
        assert set(names) == readable, viewer
        listed_by[viewer] = set(names)

    assert {"yudong-grid", "cz-grid"} <= listed_by["cz-operator"]
    assert {"yudong-grid", "cd-station", "yudong-town-grid"} <= listed_by["cd-operator"]
    assert "yudong-town-grid" not in listed_by["cz-operator"]
    assert "cd-station" not in listed_by["cz-operator"]
    assert {"tunxi-operator", "cd-operator", "cz-grid", "cd-station"} <= listed_by["tunxi-admin"]
    assert listed_by["hsq-admin"] == {"gantang-admin", "gantang-grid"}


def test_the_staff_list_items_describe_each_account(client, roster):
    _, body = listed(client, token_of(client, "yuzhong-admin"))

    grid = next(item for item in body["items"] if item["username"] == "yuzhong-grid")
    assert grid["id"] == roster["yuzhong-grid"].id
    assert grid["role"] == "grid_worker"
    assert grid["scope"] == {"kind": "community", "code": YUZHONG_1, "name": "昱中一社区"}
    assert grid["is_active"] is True
    assert "password_hash" not in grid


def test_the_staff_list_pages_in_a_stable_order(client, roster):
    headers = token_of(client, "tunxi-admin")
    everyone, _ = listed(client, headers, per_page=100)

    pages = [listed(client, headers, page=page, per_page=4) for page in (1, 2, 3)]

    assert [len(names) for names, _ in pages] == [4, 2, 0]
    assert [name for names, _ in pages for name in names] == everyone
    # Oldest account first, so a page does not shift while new accounts are being created.
    assert everyone == sorted(everyone, key=lambda name: roster[name].id)
    assert all(body["total"] == 6 and body["per_page"] == 4 for _, body in pages)
    assert [body["page"] for _, body in pages] == [1, 2, 3]


def test_the_staff_list_filters_by_role(client, roster):
    names, body = listed(client, token_of(client, "tunxi-admin"), role="grid_worker")

    assert sorted(names) == ["laojie-grid", "yudong-grid", "yuzhong-grid"]
    assert body["total"] == 3
    # A role the caller does not manage gives nothing, not an error.
    assert listed(client, token_of(client, "tunxi-admin"), role="city_admin")[1]["total"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"page": 0}, "page"),
        ({"page": "first"}, "page"),
        ({"role": "resident"}, "role"),
    ],
    ids=str,
)
def test_bad_list_queries_get_a_422(client, roster, query, field):
    response = client.get(STAFF, query_string=query, headers=token_of(client, "tunxi-admin"))

    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("validation_error", field)


def test_residents_may_not_list_staff(client, wechat_login):
    _, resident, _ = wechat_login()

    response = client.get(STAFF, headers=resident)

    assert response.status_code == 403
    assert error_of(response)["code"] == "role_forbidden"


def test_an_admin_reads_a_staff_account_in_the_area(client, roster):
    response = client.get(f"{STAFF}/{roster['laojie-grid'].id}", headers=token_of(client, "cz-operator"))

    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["username"], body["role"]) == (
        roster["laojie-grid"].id,
        "laojie-grid",
        "grid_worker",
    )
    assert body["scope"] == {"kind": "community", "code": LAOJIE_1, "name": "老街一社区"}


@pytest.mark.parametrize(
    ("viewer", "target"),
    [
        ("tunxi-admin", "gantang-grid"),  # another district
        ("tunxi-admin", "hsq-admin"),  # a role it does not manage
        ("tunxi-admin", "city-boss"),
        ("tunxi-admin", "tunxi-admin"),  # its own role is not one it gives
        ("yuzhong-admin", "laojie-grid"),  # another township
        ("cz-operator", "yudong-grid"),  # another circle
        ("yuzhong-grid", "yuzhong-grid"),  # manages nobody
        ("city-supervisor", "yuzhong-grid"),
    ],
)
def test_a_staff_account_outside_the_callers_management_is_not_found(client, roster, viewer, target):
    response = client.get(f"{STAFF}/{roster[target].id}", headers=token_of(client, viewer))

    assert response.status_code == 404
    assert error_of(response)["code"] == "staff_not_found"


def test_a_missing_or_non_staff_account_is_not_found(client, roster):
    resident = Account(role="resident", openid="o-not-staff")
    db.session.add(resident)
    db.session.commit()
    headers = token_of(client, "city-boss")

    for account_id in (resident.id, 999_999):
        response = client.get(f"{STAFF}/{account_id}", headers=headers)
        assert response.status_code == 404
        assert error_of(response)["code"] == "staff_not_found"


# --- change -----------------------------------------------------------------------------------------


def patch(client, account, headers, **values):
    """PATCH a staff account and return the response."""
    return client.patch(f"{STAFF}/{account.id}", json=values, headers=headers)


def test_disabling_an_account_revokes_its_tokens_and_stops_its_logins(client, roster):
    target = roster["yuzhong-grid"]
    target_headers = token_of(client, "yuzhong-grid")
    second_session = token_of(client, "yuzhong-grid")
    admin = roster["yuzhong-admin"]

    response = patch(client, target, token_of(client, "yuzhong-admin"), is_active=False)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["is_active"] is False
    assert reload(target.id).is_active is False
    assert live_tokens(target.id) == 0
    for headers in (target_headers, second_session):
        refused = client.post("/api/v1/auth/logout", headers=headers)
        assert refused.status_code == 401
    login = client.post(LOGIN, json={"username": "yuzhong-grid", "password": PASSWORD})
    assert login.status_code == 403
    assert error_of(login)["code"] == "account_disabled"

    (event,) = events("staff.update")
    assert (event.actor_id, event.object_type, event.object_id) == (admin.id, "account", str(target.id))
    assert event.detail == {"is_active": [True, False]}


def test_a_disabled_account_can_be_enabled_again(client, roster):
    target = roster["yuzhong-grid"]
    headers = token_of(client, "yuzhong-admin")
    assert patch(client, target, headers, is_active=False).status_code == 200

    response = patch(client, target, headers, is_active=True)

    assert response.status_code == 200
    assert response.get_json()["is_active"] is True
    assert client.post(LOGIN, json={"username": "yuzhong-grid", "password": PASSWORD}).status_code == 200
    assert [e.detail for e in events("staff.update")] == [
        {"is_active": [True, False]},
        {"is_active": [False, True]},
    ]


def test_a_role_change_is_audited_with_before_and_after_and_ends_old_sessions(client, roster):
    target = roster["yuzhong-station"]
    target_headers = token_of(client, "yuzhong-station")

    response = patch(client, target, token_of(client, "tunxi-admin"), role="township_admin")

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["role"] == "township_admin"
    assert reload(target.id).role == "township_admin"
    assert client.post("/api/v1/auth/logout", headers=target_headers).status_code == 401
    (event,) = events("staff.update")
    assert event.actor_id == roster["tunxi-admin"].id
    assert event.detail == {"role": ["station_staff", "township_admin"]}


def test_a_scope_change_is_audited_with_before_and_after(client, roster):
    target = roster["yuzhong-grid"]
    target_headers = token_of(client, "yuzhong-grid")

    response = patch(
        client, target, token_of(client, "cz-operator"), scope={"kind": "community", "code": LAOJIE_1}
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["scope"] == {"kind": "community", "code": LAOJIE_1, "name": "老街一社区"}
    assert (reload(target.id).scope_kind, reload(target.id).scope_id) == (
        "community",
        roster["laojie-grid"].scope_id,
    )
    assert live_tokens(target.id) == 0
    assert client.post("/api/v1/auth/logout", headers=target_headers).status_code == 401
    (event,) = events("staff.update")
    assert event.detail == {
        "scope": [{"kind": "community", "code": YUZHONG_1}, {"kind": "community", "code": LAOJIE_1}]
    }


def test_role_and_scope_change_together(client, roster):
    target = roster["yuzhong-grid"]

    response = patch(
        client,
        target,
        token_of(client, "yuzhong-admin"),
        role="station_staff",
        scope={"kind": "township", "code": YUZHONG},
    )

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["role"], body["scope"]["kind"], body["scope"]["code"]) == (
        "station_staff",
        "township",
        YUZHONG,
    )
    (event,) = events("staff.update")
    assert event.detail == {
        "role": ["grid_worker", "station_staff"],
        "scope": [{"kind": "community", "code": YUZHONG_1}, {"kind": "township", "code": YUZHONG}],
    }


def test_a_new_role_that_does_not_fit_the_place_needs_a_new_scope(client, roster):
    target = roster["yuzhong-grid"]  # scoped to a community; a station is staffed per township or circle

    response = patch(client, target, token_of(client, "yuzhong-admin"), role="station_staff")

    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("scope_kind_not_allowed", "scope")
    assert reload(target.id).role == "grid_worker"
    assert events("staff.update") == []


@pytest.mark.parametrize(
    ("editor", "target", "change", "code"),
    [
        (
            "yuzhong-admin",
            "yuzhong-grid",
            {"role": "operator", "scope": {"kind": "circle", "code": CHENGZHONG}},
            "role_not_assignable",
        ),
        (
            "tunxi-admin",
            "yuzhong-admin",
            {"role": "district_admin", "scope": {"kind": "district", "code": TUNXI}},
            "role_not_assignable",
        ),
        (
            "yuzhong-admin",
            "yuzhong-grid",
            {"scope": {"kind": "community", "code": LAOJIE_1}},
            "scope_outside_yours",
        ),
        (
            "tunxi-admin",
            "yuzhong-grid",
            {"scope": {"kind": "community", "code": GANTANG_1}},
            "scope_outside_yours",
        ),
    ],
    ids=["promote-past-own-rights", "promote-to-peer", "move-out-of-township", "move-out-of-district"],
)
def test_an_admin_cannot_move_or_promote_staff_beyond_its_own_rights(
    client, roster, editor, target, change, code
):
    account = roster[target]
    before = (account.role, account.scope_kind, account.scope_id)

    response = patch(client, account, token_of(client, editor), **change)

    assert response.status_code == 403
    assert error_of(response)["code"] == code
    fresh = reload(account.id)
    assert (fresh.role, fresh.scope_kind, fresh.scope_id) == before
    assert events("staff.update") == []


@pytest.mark.parametrize(
    "change",
    [
        {"is_active": False},
        {"role": "district_admin"},
        {"scope": {"kind": "city", "code": CITY}},
        {"role": "city_admin"},
    ],
    ids=str,
)
def test_nobody_changes_their_own_role_area_or_status(client, roster, change):
    boss = roster["city-boss"]
    headers = token_of(client, "city-boss")

    response = patch(client, boss, headers, **change)

    assert response.status_code == 403
    assert error_of(response)["code"] == "self_change_forbidden"
    fresh = reload(boss.id)
    assert (fresh.role, fresh.is_active) == ("city_admin", True)
    assert client.get(STAFF, headers=headers).status_code == 200


def test_an_admin_outside_the_role_set_gets_self_change_forbidden_too(client, roster):
    # A district administrator does not manage district administrators, itself included,
    # but asking to disable itself still deserves the plain answer.
    admin = roster["tunxi-admin"]

    response = patch(client, admin, token_of(client, "tunxi-admin"), is_active=False)

    assert response.status_code == 403
    assert error_of(response)["code"] == "self_change_forbidden"
    assert reload(admin.id).is_active is True


def test_an_admin_may_change_its_own_display_name(client, roster):
    boss = roster["city-boss"]
    headers = token_of(client, "city-boss")

    response = patch(client, boss, headers, display_name="市人社局")

    assert response.status_code == 200
    assert response.get_json()["display_name"] == "市人社局"
    assert client.get(STAFF, headers=headers).status_code == 200


def test_a_display_name_change_keeps_the_sessions(client, roster):
    target = roster["yuzhong-grid"]
    target_headers = token_of(client, "yuzhong-grid")

    response = patch(client, target, token_of(client, "yuzhong-admin"), display_name="张网格")

    assert response.status_code == 200
    assert response.get_json()["display_name"] == "张网格"
    assert live_tokens(target.id) == 1
    (event,) = events("staff.update")
    assert event.detail == {"display_name": [None, "张网格"]}
    assert client.post("/api/v1/auth/logout", headers=target_headers).status_code == 204


def test_a_password_reset_ends_sessions_unlocks_and_takes_effect(client, roster):
    target = roster["yuzhong-grid"]
    target_headers = token_of(client, "yuzhong-grid")
    for _ in range(5):
        client.post(LOGIN, json={"username": "yuzhong-grid", "password": "wrong-password"})
    assert reload(target.id).locked_until > utcnow()

    response = patch(client, target, token_of(client, "yuzhong-admin"), password=NEW_PASSWORD)

    assert response.status_code == 200
    assert "password" not in response.get_json()
    assert response.get_json()["locked_until"] is None
    assert live_tokens(target.id) == 0
    assert client.post("/api/v1/auth/logout", headers=target_headers).status_code == 401
    old = client.post(LOGIN, json={"username": "yuzhong-grid", "password": PASSWORD})
    assert (old.status_code, error_of(old)["code"]) == (401, "invalid_credentials")
    assert client.post(LOGIN, json={"username": "yuzhong-grid", "password": NEW_PASSWORD}).status_code == 200
    (event,) = events("staff.update")
    assert event.detail == {"password": "reset"}
    assert NEW_PASSWORD not in str(event.detail)


def test_a_short_new_password_changes_nothing(app, client, roster):
    target = roster["yuzhong-grid"]
    target_headers = token_of(client, "yuzhong-grid")
    headers = token_of(client, "tunxi-admin")

    response = patch(
        client,
        target,
        headers,
        password="short",
        display_name="半途",
        scope={"kind": "community", "code": YUZHONG_2},
    )

    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("password_too_short", "password")
    # A later, unrelated successful change must not carry the refused one along with it.
    assert patch(client, roster["laojie-grid"], headers, display_name="李网格").status_code == 200
    fresh = reload(target.id)
    assert fresh.display_name is None
    assert fresh.scope_id == roster["yuzhong-grid"].scope_id
    assert fresh.scope_kind == "community"
    assert live_tokens(target.id) == 1
    assert client.post("/api/v1/auth/logout", headers=target_headers).status_code == 204
    assert [e.object_id for e in events("staff.update")] == [str(roster["laojie-grid"].id)]


def test_an_empty_change_changes_nothing(client, roster):
    target = roster["yuzhong-grid"]

    response = patch(client, target, token_of(client, "yuzhong-admin"))

    assert response.status_code == 200
    assert response.get_json()["username"] == "yuzhong-grid"
    assert events("staff.update") == []


def test_changing_staff_outside_the_area_is_not_found(client, roster):
    target = roster["gantang-grid"]

    response = patch(client, target, token_of(client, "tunxi-admin"), is_active=False)

    assert response.status_code == 404
    assert error_of(response)["code"] == "staff_not_found"
    assert reload(target.id).is_active is True


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"is_active": "maybe"}, "is_active"),
        ({"role": "resident"}, "role"),
        ({"username": "renamed"}, "username"),
        ({"scope": {"kind": "township"}}, "scope.code"),
        ({"display_name": "x" * 65}, "display_name"),
    ],
    ids=str,
)
def test_bad_change_input_gets_a_422(client, roster, values, field):
    target = roster["yuzhong-grid"]

    response = client.patch(f"{STAFF}/{target.id}", json=values, headers=token_of(client, "yuzhong-admin"))

    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("validation_error", field)
    assert events("staff.update") == []


def test_a_lock_shows_in_the_staff_record(client, roster):
    target = roster["yuzhong-grid"]
    account = reload(target.id)
    account.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()

    response = client.get(f"{STAFF}/{target.id}", headers=token_of(client, "yuzhong-admin"))

    assert response.status_code == 200
    assert response.get_json()["locked_until"].endswith("+00:00")


# --- a lost authenticator -------------------------------------------------------------------------


def enrolled(account_id):
    """Tell whether an account has a TOTP secret or recovery codes left."""
    from app.models import RecoveryCode

    account = reload(account_id)
    codes = db.session.scalar(
        sa.select(sa.func.count()).select_from(RecoveryCode).where(RecoveryCode.account_id == account_id)
    )
    return account.totp_secret_enc is not None or account.totp_enabled_at is not None or codes > 0


def test_a_city_admin_resets_a_lost_authenticator_and_ends_the_sessions(client, staff_headers, make_staff):
    from app.services.people import second_factor

    _, city = staff_headers("city_admin", "city", CITY)
    district = make_staff("district_admin", "district", TUNXI)
    second_factor.enrol(district)
    db.session.commit()
    assert enrolled(district.id)
    # A token from before (issued directly: an enrolled account's API login needs a code).
    db.session.add(
        AuthToken(account_id=district.id, token_hash="x" * 64, expires_at=utcnow() + timedelta(hours=1))
    )
    db.session.commit()

    response = client.patch(f"{STAFF}/{district.id}", json={"reset_second_factor": True}, headers=city)

    assert response.status_code == 200, response.get_json()
    assert not enrolled(district.id)
    assert live_tokens(district.id) == 0
    assert events("staff.update")[-1].detail == {"second_factor": "reset"}


def test_nobody_resets_their_own_second_factor(client, staff_headers):
    from app.services.people import second_factor

    account, headers = staff_headers("city_admin", "city", CITY)
    response = client.patch(f"{STAFF}/{account.id}", json={"reset_second_factor": True}, headers=headers)
    assert response.status_code == 403
    assert error_of(response)["code"] == "self_change_forbidden"
    second_factor.enrol(reload(account.id))
    db.session.commit()
    assert enrolled(account.id)  # untouched by the refused request, and enrolment still works


def test_create_admin_resets_the_second_factor_of_an_existing_administrator(runner, places):
    from app.services.people import second_factor

    args = ["create-admin", "--username", "city-boss", "--password", "first-password-1"]
    assert runner.invoke(args=args).exit_code == 0
    boss = by_username("city-boss")
    second_factor.enrol(boss)
    db.session.commit()
    assert enrolled(boss.id)

    reset = runner.invoke(args=["create-admin", "--username", "city-boss", "--password", "second-password-2"])

    assert reset.exit_code == 0, reset.output
    assert not enrolled(boss.id)
