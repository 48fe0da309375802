"""Nearby search's query arguments read without webargs (app/api/fast_query.py): same answers, same errors."""

import marshmallow as ma
import pytest
from werkzeug.datastructures import MultiDict

from app.api.fast_query import compile_query
from app.api.schemas.jobs import SearchArgsSchema
from tests.support import CENTER, SEARCH, offset

PLAIN = [
    {"lat": "29.716", "lng": "118.318"},
    {"lat": "29.716000", "lng": "118.318000", "radius_m": "3000", "kind": "regular", "wage_min": "4000"},
    {"lat": "-29.5", "lng": "118", "category": "catering", "sort": "newest", "page": "3", "per_page": "100"},
    {"q": "服务员", "radius_m": "100"},
    {"q": "x" * 50, "radius_m": "50000", "wage_min": "0"},
    {},
]
# Each is something the fast path does not copy (or an error): webargs must read the query.
UNUSUAL = [
    {"radius_m": "99"},
    {"radius_m": "3e3"},
    {"radius_m": " 3000"},
    {"radius_m": "+3000"},
    {"radius_m": "3_000"},
    {"radius_m": "3000.0"},
    {"lat": "nan", "lng": "118.3"},
    {"lat": "2.9716e1", "lng": "118.3"},
    {"kind": "bogus"},
    {"kind": ""},
    {"sort": "nearest"},
    {"q": ""},
    {"q": "x" * 51},
    {"per_page": "0"},
    {"unknown": "1"},
]


@pytest.fixture
def load():
    """The compiled fast loader of SearchArgsSchema."""
    compiled = compile_query(SearchArgsSchema)
    assert compiled is not None
    return compiled


@pytest.mark.parametrize("query", PLAIN)
def test_plain_queries_load_as_the_schema_loads_them(load, query):
    assert load(MultiDict(query)) == SearchArgsSchema().load(query)


@pytest.mark.parametrize("query", UNUSUAL)
def test_anything_unusual_is_left_to_webargs(load, query):
    assert load(MultiDict(query)) is None


def test_a_repeated_argument_is_left_to_webargs(load):
    assert load(MultiDict([("kind", "regular"), ("kind", "gig")])) is None


def test_a_schema_with_hooks_is_never_read_fast():
    class Hooked(ma.Schema):
        page = ma.fields.Integer()

        @ma.validates_schema
        def check(self, data, **kwargs):
            """Refuse nothing (only being there matters)."""

    assert compile_query(Hooked) is None


@pytest.fixture
def two_jobs(make_employer, make_job):
    """A regular job 300 m north and a gig 1 km east of CENTER."""
    _, headers = make_employer()
    return [
        make_job(headers, title="近的", kind="regular", **offset(north_m=300)),
        make_job(headers, title="远的", kind="gig", **offset(east_m=1000)),
    ]


def test_fast_and_webargs_paths_give_the_same_page(client, two_jobs):
    point = {"lat": CENTER[0], "lng": CENTER[1]}
    fast = client.get(SEARCH, query_string={**point, "radius_m": 2000})
    # An argument the schema does not know sends the query through webargs (which ignores it).
    slow = client.get(SEARCH, query_string={**point, "radius_m": 2000, "utm_source": "share"})
    assert fast.status_code == slow.status_code == 200
    assert fast.get_json() == slow.get_json()
    assert [item["job"]["id"] for item in fast.get_json()["items"]] == two_jobs


def test_a_repeated_kind_is_read_by_webargs_as_before(client, two_jobs):
    query = [("lat", CENTER[0]), ("lng", CENTER[1]), ("kind", "gig"), ("kind", "regular")]
    response = client.get(SEARCH, query_string=MultiDict(query))
    assert response.status_code == 200, response.get_json()
    assert [item["job"]["id"] for item in response.get_json()["items"]] == [two_jobs[1]]


@pytest.mark.parametrize(
    ("name", "value"), [("radius_m", "99"), ("radius_m", "3e3"), ("kind", "bogus"), ("per_page", "101")]
)
def test_bad_arguments_get_the_schemas_own_422(client, name, value):
    response = client.get(SEARCH, query_string={"lat": CENTER[0], "lng": CENTER[1], name: value})
    assert response.status_code == 422
    error = response.get_json()["error"]
    expected = SearchArgsSchema().validate({name: value})[name]
    assert (error["code"], error["field"]) == ("validation_error", name)
    assert error["message"] == f"{name}: {expected[0]}"
    assert error["fields"] == {name: expected}


def test_the_route_is_documented_as_blp_arguments_documents_it(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/jobs"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert set(parameters) == set(SearchArgsSchema().fields)
    assert all(parameter["in"] == "query" for parameter in parameters.values())
    assert parameters["radius_m"]["schema"] == {
        "type": "integer",
        "default": 3000,
        "minimum": 100,
        "maximum": 50000,
    }
    assert "regular" in parameters["kind"]["schema"]["enum"]
    assert "422" in operation["responses"]
