"""A scan of every GET response for unmasked personal data.

With demo-like data (residents with full ID numbers and bound phones, household members, an
employer's contact phone), every GET route of the url_map is requested as every role, its ids
filled with real objects of both sides of the world (tests/support.py), and no body may hold a
full ID number (18 characters with a valid check character) or a full mainland mobile number,
except the documented reveal endpoints, each of which must write an audit row for the read.
"""

import re

import pytest
import sqlalchemy as sa

from app.common.identity import id_check_character
from app.extensions import db
from app.models import AuditEvent, Role
from tests.conftest import make_id_number
from tests.support import SIDES, assign_directly, build_side

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# GET routes that show a full value on purpose (docs/API.md), with the audit action each read writes.
REVEAL_ENDPOINTS = {
    "jobs.contact": "employer.contact_read",  # a resident calls the employer of a live job
}
# Routes the scan does not read, and why.
NOT_SCANNED = {
    "static": "files of the app itself",
}
# Query strings some GET routes need to answer with data rather than a 422.
QUERIES = {
    "jobs.search": {"lat": SIDES["A"]["point"][0], "lng": SIDES["A"]["point"][1]},
    "stations.nearest": {"lat": SIDES["A"]["point"][0], "lng": SIDES["A"]["point"][1]},
    "households.template": {"format": "csv"},  # the XLSX is compressed: read the same row as text
}
# Where each staff role works for the scan: over side A, so it sees people.
STAFF = {
    Role.grid_worker: ("community", SIDES["A"]["code"]),
    Role.station_staff: ("circle", SIDES["A"]["circle"]),
    Role.operator: ("circle", SIDES["A"]["circle"]),
    Role.supervisor: ("circle", SIDES["A"]["circle"]),
    Role.township_admin: ("township", "341002002000"),
    Role.district_admin: ("district", "341002000000"),
    Role.city_admin: ("city", "341000000000"),
}
PEOPLE = {
    side: {"name": f"{side}居民", "id_number": make_id_number("19880312"), "phone": phone}
    for side, phone in (("A", "13912340001"), ("B", "13912340002"))
}


def unmasked(text: str) -> list[str]:
    """Return the full ID numbers (valid check character) and mobile numbers found in a text."""
    ids = [n for n in ID_NUMBER.findall(text) if id_check_character(n[:17]) == n[-1].upper()]
    return ids + MOBILE.findall(text)


def test_the_pattern_finds_what_it_must_and_spares_masks():
    person = PEOPLE["A"]
    assert unmasked(f'{{"id_number": "{person["id_number"]}", "phone": "{person["phone"]}"}}') == [
        person["id_number"],
        person["phone"],
    ]
    masked = '{"id_number": "3410**********0016", "phone": "139****0001", "id": 1234567890123}'
    assert unmasked(masked) == []


@pytest.fixture
def world(client, make_staff, login, wechat_login, make_employer, make_job):
    """Build both sides; return (ids by side, headers by role)."""
    city = make_staff("city_admin", "city", "341000000000", username="scan-city")
    city_headers = login(city.username)
    sides = {
        side: build_side(
            client, city_headers, make_staff, wechat_login, make_employer, make_job, side, PEOPLE[side]
        )
        for side in ("A", "B")
    }
    headers = {Role.resident: sides["A"]["resident_headers"], Role.employer: sides["A"]["employer_headers"]}
    for role, (kind, code) in STAFF.items():
        account = make_staff(role.value, kind, code)
        if role == Role.grid_worker:
            assign_directly(account, [code])
        headers[role] = login(account.username)
    return {side: built["ids"] for side, built in sides.items()}, headers


def get_routes(app) -> list:
    """Return (endpoint, rule) of every GET route."""
    return sorted(
        ((rule.endpoint, rule) for rule in app.url_map.iter_rules() if "GET" in rule.methods),
        key=lambda route: route[0],
    )


def audit_count(action: str) -> int:
    """Count the audit events of one action."""
    db.session.commit()
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def test_no_get_response_shows_a_full_id_number_or_phone(app, client, world):
    ids, headers = world
    assert set(headers) == set(Role), "a new role needs its actor in this scan"
    adapter = app.url_map.bind("localhost")
    leaks, revealed, answered = [], 0, 0
    for role, role_headers in headers.items():
        for endpoint, rule in get_routes(app):
            if endpoint in NOT_SCANNED:
                continue
            for side in ("A", "B") if rule.arguments else ("A",):
                path = adapter.build(
                    endpoint, {name: ids[side][name] for name in rule.arguments}, method="GET"
                )
                before = audit_count(REVEAL_ENDPOINTS[endpoint]) if endpoint in REVEAL_ENDPOINTS else None
                response = client.get(path, query_string=QUERIES.get(endpoint, {}), headers=role_headers)
                text = response.get_data().decode("utf-8", "replace")
                response.close()  # a file download holds its file open until closed
                assert response.status_code < 500, f"{role.value} GET {path}: {response.status_code}"
                answered += response.status_code == 200
                found = unmasked(text)
                if endpoint in REVEAL_ENDPOINTS and response.status_code == 200:
                    # A reveal shows the full value, and every such read is audited.
                    assert audit_count(REVEAL_ENDPOINTS[endpoint]) == before + 1, (
                        f"{role.value} GET {path} not audited"
                    )
                    revealed += 1
                elif found:
                    leaks.append(f"{role.value:15} GET {path}: {found}")
    assert leaks == [], "\n".join(leaks)
    assert revealed >= 2  # the resident read both sides' job contacts: the reveal path ran
    assert answered > 150  # most routes answered with data, so the scan saw their bodies
