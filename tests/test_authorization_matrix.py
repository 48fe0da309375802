"""Authorization matrix: every route with an id in its URL, as every role, aimed at an object
outside that role's place or not its own, answers 404 or 403: never 200, never 500.

Routes come from the Flask url_map, so a new route is checked the day it is added (and fails
here until it has a valid body below, if it takes one). The actors all work on side A of the
world (tests/support.py: 城中, 昱中一社区); every object requested is side B's (城东, 昱东一社区).
"""

import io

import pytest

from app.models import Role
from tests.conftest import make_id_number
from tests.support import SIDES, assign_directly, build_side

# Routes that answer an outsider by design, with the roles for whom they do (None: everyone).
PUBLIC_BY_DESIGN = {
    "jobs.get_job": (None, "a published job is a public posting"),
    "events.get_event": (None, "an event is a public notice"),
    "events.sign_up": ({Role.resident, Role.employer}, "anyone may sign up to a public event"),
    "events.cancel_signup": ({Role.resident, Role.employer}, "it only ever cancels the caller's own signup"),
    "applications.apply": ({Role.resident}, "a resident may apply to any live job"),
    "jobs.contact": ({Role.resident}, "a resident may read a live job's contact (audited)"),
    "jobs.report": ({Role.resident}, "a resident may report any live job"),
    "pages.landing": (None, "the page a phone's camera opens from a station's printed code"),
}
# The city admin's place is the whole city: no object lies outside it. It is still sent to every
# route (never a 500), and may read and change side B.
CITY_WIDE = {Role.city_admin}
# Valid bodies, so a request reaches the scope check instead of stopping at validation (422).
BODIES = {
    "residents.reveal": {"reason": "授权矩阵检查"},
    "staff.update_staff": {"display_name": "矩阵"},
    "employers.update_employer": {"address": "屯溪区矩阵路1号"},
    "employers.verify": {"decision": "verified"},
    "jobs.update": {"title": "矩阵岗位"},
    "jobs.review": {"decision": "approved"},
    "jobs.report": {"reason": "虚假信息"},
    "applications.apply": {},
    "applications.change_status": {"status": "withdrawn"},
    "stations.update": {"name": "矩阵服务站"},
    "check_ins.serve": {"served": True},
    "events.update": {"title": "矩阵招聘会"},
    "events.sign_up": {},
    "grid.set_communities": {"community_codes": [SIDES["B"]["code"]]},
    "grid.close_need": {},
    "grid.add_action": {"kind": "job_recommended"},
}
UPLOADS = {"employers.upload_licence"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# Where each staff role of the matrix works: all on side A, none over side B but the city admin.
STAFF = {
    Role.grid_worker: ("township", "341002002000"),
    Role.station_staff: ("circle", SIDES["A"]["circle"]),
    Role.operator: ("circle", SIDES["A"]["circle"]),
    Role.supervisor: ("circle", SIDES["A"]["circle"]),
    Role.township_admin: ("township", "341002002000"),
    Role.district_admin: ("district", "341003000000"),  # 黄山区: 屯溪 lies outside it
    Role.city_admin: ("city", "341000000000"),
}


def person(side: str) -> dict:
    """Return a side's seeker's personal data (distinct per side)."""
    return {
        "name": f"{side}求职者",
        "id_number": make_id_number("19900101"),
        "phone": f"1390000{ord(side):04d}",
    }


@pytest.fixture
def world(client, make_staff, login, wechat_login, make_employer, make_job):
    """Build both sides; return (side B's ids, headers by role)."""
    city = make_staff("city_admin", "city", "341000000000", username="matrix-city")
    city_headers = login(city.username)
    sides = {
        side: build_side(
            client, city_headers, make_staff, wechat_login, make_employer, make_job, side, person(side)
        )
        for side in ("A", "B")
    }
    headers = {Role.resident: sides["A"]["resident_headers"], Role.employer: sides["A"]["employer_headers"]}
    for role, (kind, code) in STAFF.items():
        account = make_staff(role.value, kind, code)
        if role == Role.grid_worker:
            assign_directly(account, [SIDES["A"]["code"]])
        headers[role] = login(account.username)
    return sides["B"]["ids"], headers


def id_routes(app) -> list:
    """Return (endpoint, method, rule) of every route with an id (or code) in its URL."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.arguments and rule.endpoint != "static":
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((rule.endpoint, method, rule))
    return sorted(routes, key=lambda route: (route[0], route[1]))


def request(client, app, endpoint, method, rule, ids, headers):
    """Send one request at side B's object, with a valid body; return the response."""
    path = app.url_map.bind("localhost").build(
        endpoint, {name: ids[name] for name in rule.arguments}, method=method
    )
    if endpoint in UPLOADS:
        return client.open(
            path,
            method=method,
            data={"file": (io.BytesIO(PNG), "licence.png")},
            headers=headers,
            content_type="multipart/form-data",
        )
    return client.open(path, method=method, json=BODIES.get(endpoint), headers=headers)


def test_every_id_route_refuses_every_role_an_object_outside_its_reach(app, client, world):
    ids, headers = world
    assert set(headers) == set(Role), "a new role needs its actor in this matrix"
    routes = id_routes(app)
    assert len(routes) > 40  # the url_map was read
    failures, sent = [], 0
    # The city admin goes last: it may legitimately change side B.
    for role in sorted(Role, key=lambda role: role in CITY_WIDE):
        for endpoint, method, rule in routes:
            roles, _why = PUBLIC_BY_DESIGN.get(endpoint, (set(), ""))
            if roles is None or role in roles:
                continue
            response = request(client, app, endpoint, method, rule, ids, headers[role])
            sent += 1
            status, text = response.status_code, response.get_data().decode("utf-8", "replace")
            response.close()  # a file download holds its file open until closed
            refused = status < 500 if role in CITY_WIDE else status in (403, 404)
            if not refused:
                failures.append(f"{role.value:15} {method:6} {rule.rule} -> {status} {text[:160]}")
    assert failures == [], "\n".join(failures)
    assert sent > 0.9 * len(Role) * len(routes)  # every role tried nearly every route


def test_routes_public_by_design_exist(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(PUBLIC_BY_DESIGN) <= endpoints
    assert set(BODIES) | UPLOADS <= endpoints
