"""Bad input is a 4xx in the error envelope, never a 500; what the document declares, the app holds to.

Lone surrogates and deep nesting in JSON bodies, ids past BIGINT in paths, bodies and queries, a
405's Allow header, PATCH/PUT without a body, and the declared content types and ranges.
"""

import io
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Resident
from tests.support import YUZHONG, at, console_client, error_of

ID_MAX = 2**63 - 1
TOO_BIG = 2**63
ME, RESUME, FILES = "/api/v1/me", "/api/v1/me/resume", "/api/v1/me/resume/files"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 48


def send_json(client, method: str, url: str, text: str, headers=None):
    """Send `text` as a JSON body exactly as written (escapes and all)."""
    return client.open(
        url, method=method, data=text.encode(), headers=headers or {}, content_type="application/json"
    )


@pytest.fixture
def resident(wechat_login, places):
    """A resident logged in through WeChat: (resident id, headers)."""
    body, headers, _ = wechat_login()
    return body["account"]["id"], headers


@pytest.fixture
def city(staff_headers):
    """The city admin's headers."""
    return staff_headers("city_admin", "city", "341000000000")[1]


def resident_names() -> list:
    """Return every resident's name."""
    return db.session.scalars(sa.select(Resident.name)).all()


# ---- 8. lone surrogates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, field",
    [
        ('{"name": "\\ud800"}', "name"),
        ('{"name": "张\\udfff三"}', "name"),
        ('{"key_groups": ["\\ud83d"]}', "key_groups.0"),
        ('{"\\ud800": "x"}', "\\ud800"),
    ],
    ids=["alone", "between", "in_a_list", "in_a_key"],
)
def test_a_lone_surrogate_in_a_json_string_is_400_and_nothing_is_saved(client, resident, text, field):
    _, headers = resident
    before = resident_names()

    response = send_json(client, "PATCH", ME, text, headers)

    assert response.status_code == 400, response.get_data(as_text=True)
    error = error_of(response)
    assert error["code"] == "invalid_json"
    assert error["field"] == field
    assert "surrogate" in error["message"]
    assert resident_names() == before


def test_a_surrogate_pair_is_one_character_and_is_saved(client, resident):
    _, headers = resident

    response = send_json(client, "PATCH", ME, '{"name": "张\\ud83d\\ude00"}', headers)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["name"] == "张😀"


def test_a_lone_surrogate_deep_in_a_visit_batch_is_400(client, staff_headers):
    _, headers = staff_headers("grid_worker", "township", "341002002000")
    text = '{"visits": [{"client_id": "visit-0001", "notes": "\\udc00"}]}'

    response = send_json(client, "POST", "/api/v1/grid/visits", text, headers)

    assert response.status_code == 400
    assert error_of(response)["field"] == "visits.0.notes"


# ---- 9. deep nesting ---------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [100_000, 1_000, 33])
def test_json_nested_too_deep_is_400(client, resident, depth):
    _, headers = resident
    text = '{"results": ' + '{"a": ' * depth + "1" + "}" * depth + ', "client_id": "report-0001"}'

    response = send_json(client, "POST", "/api/v1/me/subscriptions", text, headers)

    assert response.status_code == 400, response.get_data(as_text=True)
    error = error_of(response)
    assert error["code"] == "invalid_json"
    assert "deeper than 32" in error["message"]


def test_a_bare_deep_array_is_400_even_without_a_token(client):
    response = send_json(client, "POST", "/api/v1/auth/login", "[" * 100_000 + "]" * 100_000)

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1" * 5000])
def test_numbers_json_does_not_have_are_400(client, resident, literal):
    _, headers = resident

    response = send_json(client, "PATCH", ME, '{"home_lat": ' + literal + ', "home_lng": 118.3}', headers)

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


# ---- 11. ids past BIGINT -----------------------------------------------------------------------


def id_routes(app) -> list[tuple[str, str]]:
    """Return (method, path) of every route with an id in its path, the ids set to 2^63."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "<int:" in rule.rule:
            path = re.sub(r"<int:\w+>", str(TOO_BIG), rule.rule)
            routes += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


def test_every_id_in_a_path_past_bigint_is_404_for_every_route(app, client, city, make_staff):
    routes = id_routes(app)
    assert len(routes) >= 48
    assert any(path.startswith("/console/") for _, path in routes)
    # The console is asked by a signed-in city admin, with a CSRF token on every form.
    console, csrf = console_client(app, make_staff("city_admin", "city", "341000000000"))

    for method, path in routes:
        if path.startswith("/console/"):
            form = {"csrf_token": csrf} if method != "GET" else None
            response = console.open(path, method=method, data=form)
            assert response.status_code == 404, (method, path, response.status_code)
            assert response.mimetype == "text/html" and "页面不存在" in response.get_data(as_text=True)
            continue
        response = client.open(path, method=method, headers=city, json={})
        assert response.status_code == 404, (method, path, response.status_code)
        if path.startswith("/api/"):
            assert error_of(response)["code"] == "not_found", (method, path)


def test_a_console_list_page_past_the_last_possible_is_422_not_500(app, make_staff):
    console, _ = console_client(app, make_staff("city_admin", "city", "341000000000"))

    for page in (100_001, ID_MAX, TOO_BIG, 10**30):
        response = console.get(f"/console/lists/residents?page={page}")

        assert response.status_code == 422, (page, response.status_code)
        assert "页码无效" in response.get_data(as_text=True)


@pytest.mark.parametrize("as_of", ["9999-12-31", "9999-12-01", "0001-01-01"])
def test_grid_progress_at_the_ends_of_the_calendar_answers_not_500(app, client, city, make_staff, as_of):
    console, _ = console_client(app, make_staff("city_admin", "city", "341000000000"))

    api = client.get("/api/v1/grid/progress", query_string={"as_of": as_of}, headers=city)
    page = console.get(f"/console/grid/progress?as_of={as_of}")

    assert api.status_code == 200, api.get_json()
    assert api.get_json()["as_of"] == as_of
    assert page.status_code == 200


@pytest.mark.parametrize("value", [0, ID_MAX, TOO_BIG, 10**30])
def test_an_id_out_of_the_rows_range_is_a_plain_404(client, city, value):
    response = client.get(f"/api/v1/jobs/{value}", headers=city)

    assert response.status_code == 404
    assert error_of(response)["code"] in {"not_found", "job_not_found"}


@pytest.mark.parametrize(
    "url, field",
    [
        (f"/api/v1/applications?job_id={TOO_BIG}", "job_id"),
        (f"/api/v1/check-ins/counts?station_id={TOO_BIG}", "station_id"),
        (f"/api/v1/audit-events?actor_id={TOO_BIG}", "actor_id"),
        ("/api/v1/audit-events?actor_id=0", "actor_id"),
    ],
)
def test_an_id_in_a_query_past_bigint_is_422_naming_it(client, city, resident, url, field):
    headers = resident[1] if url.startswith("/api/v1/applications") else city

    response = client.get(url, headers=headers)

    assert response.status_code == 422, response.get_json()
    assert error_of(response)["field"] == field


def test_staff_ids_past_bigint_are_422_and_no_station_is_made(client, operator):
    body = {"name": "昱中就业服务站", "circle": "341002-chengzhong", **YUZHONG, "staff_ids": [TOO_BIG]}

    response = client.post("/api/v1/stations", json=body, headers=operator[1])

    assert response.status_code == 422, response.get_json()
    assert error_of(response)["field"] == "staff_ids.0"
    assert client.get("/api/v1/stations", headers=operator[1]).get_json()["total"] == 0


def test_station_id_of_an_event_past_bigint_is_422(client, operator):
    body = {
        "title": "招聘会",
        "kind": "job_fair",
        "station_id": TOO_BIG,
        "starts_at": "2030-01-01T09:00:00+08:00",
        "ends_at": "2030-01-01T12:00:00+08:00",
    }

    response = client.post("/api/v1/events", json=body, headers=operator[1])

    assert response.status_code == 422
    assert error_of(response)["field"] == "station_id"


def test_job_id_of_an_assistance_action_past_bigint_is_422(client, operator):
    response = client.post(
        "/api/v1/zero-employment-households/1/actions",
        json={"kind": "job_recommended", "job_id": TOO_BIG},
        headers=operator[1],
    )

    assert response.status_code == 422
    assert error_of(response)["field"] == "job_id"


def test_a_visit_for_a_household_past_bigint_is_rejected_in_its_batch(client, staff_headers):
    _, headers = staff_headers("grid_worker", "township", "341002002000")
    visit = {
        "client_id": "visit-0001",
        "visited_at": at(-5),
        "household_id": TOO_BIG,
        "outcome": "met",
    }

    response = client.post("/api/v1/grid/visits", json={"visits": [visit]}, headers=headers)

    assert response.status_code == 200, response.get_json()
    [result] = response.get_json()["results"]
    assert result["result"] == "rejected"
    assert list(result["error"]["fields"]) == ["household_id"]


def test_ids_are_documented_as_int64_from_1(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    [parameter] = [p for p in spec["paths"]["/api/v1/jobs/{job_id}"]["parameters"] if p["in"] == "path"]
    station_ids = spec["components"]["schemas"]["StationInput"]["properties"]["staff_ids"]["items"]
    job_filter = [
        p for p in spec["paths"]["/api/v1/applications"]["get"]["parameters"] if p["name"] == "job_id"
    ]

    for schema in (parameter["schema"], station_ids, job_filter[0]["schema"]):
        assert schema["type"] == "integer"
        assert schema["format"] == "int64"
        assert (schema["minimum"], schema["maximum"]) == (1, ID_MAX)


# ---- also: 405, empty PATCH/PUT, content types, declared ranges -----------------------------------


def test_405_says_which_methods_are_allowed(client):
    response = client.delete("/api/v1/places/circles")

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"GET"}
    assert "DELETE" not in response.headers["Allow"]


@pytest.mark.parametrize(
    "method, url, content_type",
    [
        ("PATCH", ME, "application/json"),
        ("PATCH", ME, None),
        ("PATCH", ME, "text/plain"),
        ("PUT", RESUME, "application/json"),
        ("PATCH", "/api/v1/me/push-preferences", "application/json"),
    ],
)
def test_patch_or_put_without_a_body_is_422_body_required(client, resident, method, url, content_type):
    _, headers = resident
    data = b"" if content_type != "text/plain" else b'{"name": "x"}'
    kwargs = {"content_type": content_type} if content_type else {}

    response = client.open(url, method=method, data=data, headers=headers, **kwargs)

    assert response.status_code == 422, response.get_json()
    assert error_of(response)["code"] == "body_required"


def test_an_empty_object_is_still_a_patch_that_changes_nothing(client, resident):
    _, headers = resident

    assert client.patch(ME, json={}, headers=headers).status_code == 200


def test_an_unguarded_patch_without_a_body_answers_401_first(client):
    response = client.patch(ME, data=b"", content_type="application/json")

    assert response.status_code == 401


@pytest.mark.parametrize(
    "data, name, content_type",
    [(PDF, "cv.pdf", "application/pdf"), (PNG, "cv.png", "image/png")],
    ids=["pdf", "png"],
)
def test_resume_downloads_send_and_document_the_stored_type(client, resident, data, name, content_type):
    _, headers = resident
    uploaded = client.post(
        FILES, data={"file": (io.BytesIO(data), name)}, headers=headers, content_type="multipart/form-data"
    )
    assert uploaded.status_code == 201, uploaded.get_json()

    response = client.get(f"{FILES}/{uploaded.get_json()['id']}", headers=headers, buffered=True)

    assert response.status_code == 200
    assert response.mimetype == content_type
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/me/resume/files/{file_id}", "/api/v1/resumes/{resident_id}/files/{file_id}"):
        documented = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert content_type in documented
        assert "application/octet-stream" not in documented


def test_the_document_declares_china_coordinates_date_spans_and_required_reasons(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    nearest = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/stations/nearest"]["get"]["parameters"]}
    counts = {p["name"]: p for p in spec["paths"]["/api/v1/check-ins/counts"]["get"]["parameters"]}

    for lat in (
        nearest["lat"],
        schemas["StationInput"]["properties"]["lat"],
        schemas["ProfileUpdate"]["properties"]["home_lat"],
    ):
        assert (lat["minimum"], lat["maximum"]) == (3.8, 53.6)
    assert (nearest["lng"]["minimum"], nearest["lng"]["maximum"]) == (73.5, 135.1)
    assert "366 days" in counts["from"]["description"]
    assert "14 days" in schemas["EventInput"]["properties"]["ends_at"]["description"]
    for name in ("Verify", "Review"):
        assert "rejected" in schemas[name]["properties"]["reason"]["description"]


def test_a_point_outside_china_is_still_refused_by_the_service(client, resident):
    _, headers = resident

    response = client.patch(ME, json={"home_lat": 118.3, "home_lng": 29.7}, headers=headers)

    assert response.status_code == 422
    assert error_of(response)["code"] == "coordinates_swapped"


@pytest.mark.parametrize(
    "query", [{"to": "0000-01"}, {"from": "0000-12", "to": "2026-01"}, {"to": "0001-01"}]
)
def test_a_month_in_year_0_is_422_not_500(client, city, query):
    response = client.get("/api/v1/ledger/snapshots", query_string=query, headers=city)

    assert response.status_code == 422, response.get_json()
    assert error_of(response)["code"] == "invalid_month"
