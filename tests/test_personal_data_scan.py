"""A scan of every GET response for unmasked personal data.

With demo-like data (residents with full ID numbers and bound phones, household members, an
employer's contact phone), every GET route of the url_map is requested as every role, its ids
filled with real objects of both sides of the world (tests/support.py), and no body may hold a
full ID number (18 characters with a valid check character) or a full mainland mobile number,
except the documented reveal endpoints, each of which must write an audit row for the read.

Console pages (/console/) are read through a console session of each staff role (signed in
through the real pages): every list with its default filters off, every dashboard section at
the viewer's own place and at each side's community (the first section at the other places of
both sides and the city), and each role's own export files, an .xlsx (read back with openpyxl)
and a .csv, by the console's link and the API's. The console's reveal of a resident is a POST
(audited), so it lies outside this scan, as do the exports written by a POST.
"""

import io
import re
import zipfile

import openpyxl
import pytest
import sqlalchemy as sa

from app.common.identity import id_check_character
from app.extensions import db
from app.models import STAFF_ROLES, AuditEvent, Role
from app.services.exports.jobs import export_listing
from app.services.lists import REGISTRY
from app.services.stats.report import SECTIONS
from tests.conftest import make_id_number
from tests.support import CONSOLE_ID_KEYS, SIDES, assign_directly, build_side, console_client, places_of

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
# Not inside a longer run of letters and digits: a form's hidden client id (a UUID's hex) once
# held "15662652748" and failed the scan with no phone on the page. Shown phones stand apart.
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
# GET routes that show a full value on purpose (docs/API.md), with the audit action each read writes.
REVEAL_ENDPOINTS = {
    "jobs.contact": "employer.contact_read",  # a resident calls the employer of a live job
    # A resident's copy of their own data (PIPL art. 45): their own ID number and phone in full.
    "consents.my_data_copy": "my_data.copy",
}
# Routes the scan does not read, and why.
NOT_SCANNED = {
    "static": "files of the app itself",
    "console.static": "the console's own JS and CSS",
}
# Query strings some GET routes need to answer with data rather than a 422.
QUERIES = {
    "jobs.search": {"lat": SIDES["A"]["point"][0], "lng": SIDES["A"]["point"][1]},
    "stations.nearest": {"lat": SIDES["A"]["point"][0], "lng": SIDES["A"]["point"][1]},
    "households.template": {"format": "csv"},  # the XLSX is compressed: read the same row as text
}
# Routes of an export: each role reads its own, an .xlsx and a .csv (with their links' tokens),
# beside both sides'.
OWN_EXPORT = {
    "exports.get",
    "exports.download",
    "console.export_job",
    "console.export_status",
    "console.download_export",
}
# The content types of export files (each is counted: the scan must have read some).
EXPORT_TYPES = {"text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# Every place a dashboard is read at: both sides', community to district, and the city.
PLACES = [*places_of("A"), *places_of("B"), ("city", "341000000000")]
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
    # A token's hex is not a phone; a phone in running Chinese text or a tel: link is.
    assert unmasked('<input name="client_id" value="e8c15662652748a4b0d2f1c9e3a7b6d5">') == []
    assert unmasked('联系电话15662652748。<a href="tel:15662652748">') == ["15662652748"] * 2


@pytest.fixture
def world(app, client, make_staff, login, wechat_login, make_employer, make_job):
    """Build both sides; return (ids by side, actors by role: headers, console client, own export)."""
    city = make_staff("city_admin", "city", "341000000000", username="scan-city")
    city_headers = login(city.username)
    sides = {
        side: build_side(
            client, city_headers, make_staff, wechat_login, make_employer, make_job, side, PEOPLE[side]
        )
        for side in ("A", "B")
    }
    # Residents and employers have no console: their console requests go out on `client`, unsigned.
    actors = {
        Role.resident: {"headers": sides["A"]["resident_headers"], "console": client},
        Role.employer: {"headers": sides["A"]["employer_headers"], "console": client},
    }
    for role, (kind, code) in STAFF.items():
        account = make_staff(role.value, kind, code)
        if role == Role.grid_worker:
            assign_directly(account, [code])
        exports = [export_listing(account, "residents", {}, fmt, False, None) for fmt in ("xlsx", "csv")]
        actors[role] = {
            "headers": login(account.username),
            "console": console_client(app, account)[0],
            "exports": [{"export_id": export.job.id, "token": export.token} for export in exports],
        }
    return {side: built["ids"] for side, built in sides.items()}, actors


def get_routes(app) -> list:
    """Return (endpoint, rule) of every GET route."""
    return sorted(
        ((rule.endpoint, rule) for rule in app.url_map.iter_rules() if "GET" in rule.methods),
        key=lambda route: route[0],
    )


def targets(endpoint: str, rule, ids: dict, actor: dict) -> list[dict]:
    """Return the URL arguments (and query) of each request the scan sends to a GET route."""
    if not rule.arguments:
        if endpoint == "console.dashboard":
            return [{"section": name} for name in SECTIONS]
        return [QUERIES.get(endpoint, {})]
    if {"kind", "code"} <= rule.arguments:
        # Every section at each side's community (the finest rows); the first section elsewhere.
        return [
            {"kind": kind, "code": code, **section}
            for kind, code in PLACES
            for section in ([{"section": name} for name in SECTIONS] if kind == "community" else [{}])
        ]
    if "name" in rule.arguments:
        # Every row the viewer may see: filters with a default ("open" only…) switched off.
        return [
            {"name": name, "per_page": 100, **{spec.name: "" for spec in listing.filters if spec.default}}
            for name, listing in REGISTRY.items()
        ]
    if "anything" in rule.arguments:
        return [{"anything": "no-such-page"}]
    keys = CONSOLE_ID_KEYS.get(endpoint, {})
    found = [{name: side_ids[keys.get(name, name)] for name in rule.arguments} for side_ids in ids.values()]
    if endpoint in OWN_EXPORT:
        for own in actor.get("exports", []):
            found.append({name: own["export_id"] for name in rule.arguments} | {"token": own["token"]})
    return [QUERIES.get(endpoint, {}) | arguments for arguments in found]


def body_text(response) -> str:
    """Return a response's body as text; an .xlsx (a zip) as its cells' values, one row a line."""
    data = response.get_data()
    if data[:4] == b"PK\x03\x04" and "spreadsheetml" in response.mimetype:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        rows = (row for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True))
        text = "\n".join(",".join("" if cell is None else str(cell) for cell in row) for row in rows)
        workbook.close()
        return text
    assert not zipfile.is_zipfile(io.BytesIO(data)), f"a zip the scan cannot read: {response.mimetype}"
    return data.decode("utf-8", "replace")


def audit_count(action: str) -> int:
    """Count the audit events of one action."""
    db.session.commit()
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def test_no_get_response_shows_a_full_id_number_or_phone(app, client, world):
    ids, actors = world
    assert set(actors) == set(Role), "a new role needs its actor in this scan"
    adapter = app.url_map.bind("localhost")
    leaks, revealed, answered, console_pages, files = [], 0, 0, 0, 0
    for role, actor in actors.items():
        for endpoint, rule in get_routes(app):
            if endpoint in NOT_SCANNED:
                continue
            on_console = endpoint.startswith("console.")
            for arguments in targets(endpoint, rule, ids, actor):
                path = adapter.build(endpoint, arguments, method="GET")
                before = audit_count(REVEAL_ENDPOINTS[endpoint]) if endpoint in REVEAL_ENDPOINTS else None
                # A console request carries the bearer token too: it must open nothing there.
                response = (actor["console"] if on_console else client).get(path, headers=actor["headers"])
                text = body_text(response)
                response.close()  # a file download holds its file open until closed
                assert response.status_code < 500, f"{role.value} GET {path}: {response.status_code}"
                answered += response.status_code == 200
                console_pages += on_console and response.status_code == 200 and role in STAFF_ROLES
                files += response.mimetype in EXPORT_TYPES and response.status_code == 200
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
    assert console_pages > 250  # the staff read console pages (307 now), not the sign-in page
    # Each staff member's own two exports, by the console's link and the API's (and the CSV template).
    assert files >= 4 * len(STAFF)
