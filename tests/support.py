"""Plain helpers shared by the tests of several files; tests import what they use.

Fixtures stay in tests/conftest.py: what is here takes the client, headers or accounts as arguments.
"""

import io
import math
import socket
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import requests
import sqlalchemy as sa

from app.common import clock, geo
from app.extensions import db
from app.models import PLACE_COLUMN_NAMES, CheckIn, Event, Household, Job, Push, Resident, utcnow
from app.services.people import second_factor
from app.services.people import status as ledger_core
from app.services.people.personal_data import set_id_number
from app.services.people.places import community_by_code, place_columns
from app.services.people.residents import set_community
from app.services.people.status import record_status
from app.services.stations import qr_codes
from tests.conftest import JOB_MATCH_TEMPLATE, PASSWORD, IsolatedClient, make_id_number

# The tests' data files (valid and invalid ID-card and credit-code numbers).
DATA = Path(__file__).resolve().parent / "data"
CHECK_INS = "/api/v1/check-ins"
EVENTS = "/api/v1/events"
CST = timezone(timedelta(hours=8))
# Where the job searches stand (Tunxi, GCJ-02), and the search itself.
CENTER = (29.7160, 118.3180)
SEARCH = "/api/v1/jobs"
# 昱中 township office (circle 城中).
YUZHONG = {"lat": 29.7160, "lng": 118.3180}
# A household's point when the test does not care where it stands: its community's.
AT_ITS_COMMUNITY = "community"


# ---- responses and rows --------------------------------------------------------------------------


def closed_port() -> int:
    """Return a local port nobody listens on (free a moment ago): a Redis or database that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def error_of(response) -> dict:
    """Return the inside of the error envelope (asserting the body holds nothing else)."""
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]


def count(model, *where) -> int:
    """Count rows of `model` (those matching `where`)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# ---- stations, events and check-ins --------------------------------------------------------------


def at(minutes: float) -> str:
    """Return now + `minutes` on the city's clock, to the second, with its +08:00 offset."""
    return (datetime.now(CST) + timedelta(minutes=minutes)).replace(microsecond=0).isoformat()


def check_in(client, headers, url_or_token, purpose="consult", client_id=None, **fields):
    """POST a check-in with a scanned URL or token; a fresh client id unless one is given."""
    body = {"url_or_token": url_or_token, "purpose": purpose, "client_id": client_id or uuid.uuid4().hex}
    return client.post(CHECK_INS, json={**body, **fields}, headers=headers)


def assert_refused(response, status: int, code: str, field: str | None = "url_or_token") -> dict:
    """Assert the error's status, code and field, and that no check-in was written."""
    assert response.status_code == status, response.get_json()
    error = error_of(response)
    assert error["code"] == code, error
    if field is not None:
        assert error["field"] == field, error
    assert count(CheckIn) == 0
    return error


def open_event(client, headers, **fields) -> dict:
    """Create an event open for check-in now (at 昱中 unless at a station) and return its body."""
    body = {"title": "屯溪区招聘会", "kind": "job_fair", "starts_at": at(-10), "ends_at": at(60)}
    if "station_id" not in fields:
        body.update(YUZHONG)
    response = client.post(EVENTS, json={**body, **fields}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def event_url(event_id: int, now: float | None = None) -> str:
    """Return what an event's live screen encodes now (or at unix time `now`), as the screen mints it."""
    event = db.session.get(Event, event_id)
    return qr_codes.event_url(event, qr_codes.event_token(event, now))


# ---- households and grid workers -----------------------------------------------------------------


def make_household(code: str, members: list, key: str | None = None, point=AT_ITS_COMMUNITY) -> Household:
    """Write a household of (name, status, birth) members at `point`, recompute its flag, commit."""
    # A point is (lat, lng), or None: nobody has located the household yet. A birth is a date or
    # YYYYMMDD; None leaves the member without an ID number, so of unknown age.
    community = community_by_code(code)
    lat, lng = (community.lat, community.lng) if point == AT_ITS_COMMUNITY else point or (None, None)
    household = Household(
        key=key or f"H-{code[-3:]}-{count(Household)}",
        address=f"{community.name}测试路{len(members)}号",
        lat=lat,
        lng=lng,
        **place_columns(community),
    )
    db.session.add(household)
    db.session.flush()
    for name, status, birth in members:
        resident = Resident(name=name, household=household, is_household_head=not household.members)
        db.session.add(resident)
        if birth is not None:
            birth = birth.strftime("%Y%m%d") if isinstance(birth, date) else birth
            set_id_number(resident, make_id_number(birth=birth))
        set_community(resident, community)
        if status:
            record_status(resident, status, "staff", recompute_household=False)
    db.session.flush()
    ledger_core.recompute(household.id, "staff")
    db.session.commit()
    return household


def new_household(code: str, members: list[tuple[str, str]], lat=None, lng=None) -> Household:
    """Write a household of (status, birth YYYYMMDD) members, not located unless told; see make_household."""
    named = [(f"住户{index}", status, birth) for index, (status, birth) in enumerate(members)]
    return make_household(code, named, key=f"H-{uuid.uuid4().hex[:8].upper()}", point=(lat, lng))


def assign(client, headers, worker, codes: list[str]) -> None:
    """Assign a grid worker (an Account) to communities, as a manager with `headers`."""
    response = client.put(
        f"/api/v1/grid-workers/{worker.id}/communities", json={"community_codes": codes}, headers=headers
    )
    assert response.status_code == 200, response.get_json()


def assign_directly(worker, codes: list[str]) -> None:
    """Assign a grid worker (an Account) to communities in the database, when no manager is at hand."""
    from app.models import GridAssignment

    for code in codes:
        db.session.add(GridAssignment(account_id=worker.id, community_id=community_by_code(code).id))
    db.session.commit()


# ---- job search (tests/jobs/test_search.py and test_job_board.py) --------------------------------


def offset(north_m: float = 0, east_m: float = 0, origin=CENTER) -> dict:
    """Return {lat, lng} the given metres north and east of `origin`."""
    lat, lng = origin
    dlat = north_m / geo.METRES_PER_DEGREE_LAT
    dlng = east_m / (geo.METRES_PER_DEGREE_LAT * math.cos(math.radians(lat)))
    return {"lat": lat + dlat, "lng": lng + dlng}


def search(client, headers=None, point=CENTER, **params):
    """GET the nearby search from `point` (None: no lat/lng) and return the response."""
    if point is not None:
        params = {"lat": point[0], "lng": point[1], **params}
    return client.get(SEARCH, query_string=params, headers=headers or {})


def found(client, **params) -> list[int]:
    """Return the job ids a successful search finds, in order."""
    response = search(client, **params)
    assert response.status_code == 200, response.get_json()
    return [item["job"]["id"] for item in response.get_json()["items"]]


def set_job(job_id: int, **values) -> None:
    """Change a job in the database only, leaving its Redis GEO entries as they were."""
    job = db.session.get(Job, job_id)
    for name, value in values.items():
        setattr(job, name, value)
    db.session.commit()


# ---- push ----------------------------------------------------------------------------------------


def grant(fake_wechat, openid: str, template_id: str = JOB_MATCH_TEMPLATE, count: int = 1) -> None:
    """Give the person quota on the fake WeChat too (their tap on "accept" does both)."""
    requests.post(
        fake_wechat.base_url + "_fake/subscriptions",
        json={"openid": openid, "template_id": template_id, "count": count},
        timeout=5,
    ).raise_for_status()


def messages(fake_wechat, openid: str | None = None) -> list[dict]:
    """Read back what the fake WeChat delivered (to one person, or to anyone)."""
    params = {"openid": openid} if openid else {}
    return requests.get(fake_wechat.base_url + "_fake/messages", params=params, timeout=5).json()["messages"]


def publish(client, staff_headers, make_job, employer_headers, **fields) -> int:
    """Create a job, submit it and approve it as the circle's operator (which starts the fan-out)."""
    job_id = make_job(employer_headers, publish=False, **fields)
    assert client.post(f"/api/v1/jobs/{job_id}/submit", headers=employer_headers).status_code == 200
    _, operator = staff_headers("operator", "circle", "341002-chengzhong")
    review = client.post(f"/api/v1/jobs/{job_id}/review", json={"decision": "approved"}, headers=operator)
    assert review.status_code == 200, review.get_json()
    return job_id


def job_match_push(account_id: int, job_id: int, **columns) -> int:
    """Write a job_match push about a job as the fan-out writes it (pending, due now unless told); its id."""
    resident = db.session.scalar(sa.select(Resident).where(Resident.account_id == account_id))
    values = {"status": "pending", "send_after": utcnow(), "attempts": 0, **columns}
    row = Push(
        account_id=account_id,
        kind="job_match",
        object_type="job",
        object_id=str(job_id),
        data={"thing1": {"value": "茶叶分拣工"}, "thing2": {"value": "黄山测试茶业"}},
        page=f"pages/job-detail/index?id={job_id}",
        day=clock.local_day(values["send_after"]),
        **values,
        **{name: getattr(resident, name) for name in PLACE_COLUMN_NAMES},
    )
    db.session.add(row)
    db.session.commit()
    return row.id


# ---- a world of every kind of object (test_authorization_matrix.py, test_personal_data_scan.py) --

# Two sides, each a circle with one of everything: the actors of the matrix work on side A (城中,
# 昱中一社区); side B (城东, 昱东一社区) lies outside all of them but the city admin.
SIDES = {
    "A": {"code": "341002002001", "circle": "341002-chengzhong", "point": (29.7170, 118.3190)},
    "B": {"code": "341002001001", "circle": "341002-chengdong", "point": (29.7230, 118.3390)},
}


def build_side(
    client, city_headers, make_staff, wechat_login, make_employer, make_job, side: str, person: dict
) -> dict:
    """Make one side's objects; return their ids by URL argument name, plus the actors' headers.

    `person` holds the side's seeker's known personal data: name, id_number, phone.
    """
    from app.models import (
        Account,
        CheckIn,
        EmployerVisit,
        HiringNeed,
        Need,
        PlacementFollowUp,
        Push,
        Station,
        ZeroEmploymentCase,
    )
    from app.services.exports.jobs import export_listing

    code, circle, (lat, lng) = SIDES[side]["code"], SIDES[side]["circle"], SIDES[side]["point"]
    community = community_by_code(code)
    station = client.post(
        "/api/v1/stations",
        json={"name": f"{side}服务站", "circle": circle, "lat": lat, "lng": lng},
        headers=city_headers,
    )
    assert station.status_code == 201, station.get_json()
    station_id = station.get_json()["id"]
    event = open_event(client, city_headers, station_id=station_id, title=f"{side}招聘会")
    employer, employer_headers = make_employer(name=f"黄山{side}茶业有限公司", lat=lat, lng=lng)
    job_id = make_job(employer_headers)

    # The seeker: WeChat login, a bound phone, an ID number, a community, a résumé with a file.
    _, resident_headers, codes = wechat_login(phone=person["phone"])
    bound = client.post(
        "/api/v1/auth/wechat-phone", json={"code": codes["phone_code"]}, headers=resident_headers
    )
    assert bound.status_code == 200, bound.get_json()
    profile = {"name": person["name"], "id_number": person["id_number"], "community_code": code}
    me = client.patch(
        "/api/v1/me", json={**profile, "home_lat": lat, "home_lng": lng}, headers=resident_headers
    )
    assert me.status_code == 200, me.get_json()
    resident_id = me.get_json()["id"]
    resume = client.put("/api/v1/me/resume", json={"skills": ["茶叶分拣"]}, headers=resident_headers)
    assert resume.status_code == 200, resume.get_json()
    uploaded = client.post(
        "/api/v1/me/resume/files",
        data={"file": (io.BytesIO(b"%PDF-1.4\n% a resume\n"), "cv.pdf")},
        headers=resident_headers,
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    applied = client.post(f"/api/v1/jobs/{job_id}/applications", json={}, headers=resident_headers)
    # A key-group certification waiting for review, with one evidence file (registrations wing).
    certification = client.post(
        "/api/v1/me/certifications",
        json={"client_id": f"matrix-{side}-certification", "key_group": "hard_to_employ"},
        headers=resident_headers,
    )
    assert certification.status_code == 201, certification.get_json()
    certification_id = certification.get_json()["id"]
    evidence = client.post(
        f"/api/v1/me/certifications/{certification_id}/evidence",
        data={"file": (io.BytesIO(b"%PDF-1.4\n% evidence\n"), "evidence.pdf")},
        headers=resident_headers,
        content_type="multipart/form-data",
    )
    assert evidence.status_code == 201, evidence.get_json()
    assert applied.status_code == 201, applied.get_json()
    # An unemployment registration waiting for review (registrations wing).
    registration = client.post(
        "/api/v1/me/registrations/unemployment",
        json={
            "client_id": f"matrix-{side}-registration",
            "reason_for_leaving": "合同到期",
            "left_on": "2025-10-31",
        },
        headers=resident_headers,
    )
    assert registration.status_code == 201, registration.get_json()

    # What staff work on: a zero-employment household with a need, a grid worker, a check-in, a push.
    household = make_household(code, [(f"{side}户主", "unemployed", "19800101")], key=f"H-{side}")
    member = household.members[0]
    need = Need(resident_id=member.id, household_id=household.id, kind="job")
    station_row = db.session.get(Station, station_id)
    account_id = db.session.get(Resident, resident_id).account_id
    visit = CheckIn(
        account_id=account_id,
        resident_id=resident_id,
        client_id=uuid.uuid4().hex,
        station_id=station_id,
        purpose="consult",
        via="printed",
        day=date.today(),
        queue_key=f"s{station_id}:{side}",
        queue_number=1,
        **{name: getattr(station_row, name) for name in place_columns(community)},
    )
    push = Push(
        account_id=account_id,
        kind="application_update",
        object_type="application",
        object_id=str(applied.get_json()["id"]),
        data={},
        day=date.today(),
        send_after=datetime(2026, 1, 1),
        **place_columns(community),
    )
    db.session.add_all([need, visit, push])
    # Staff met the side's employer and recorded one hiring need (services/jobs/employer_visits.py).
    employer_visit = EmployerVisit(
        employer_id=employer.id,
        staff_id=db.session.scalar(sa.select(Account.id).where(Account.username == "matrix-city"))
        or employer.account_id,
        client_id=f"matrix-{side}-visit",
        channel="visit",
        visited_on=date.today(),
        **{name: getattr(employer, name) for name in PLACE_COLUMN_NAMES},
    )
    employer_visit.needs.append(
        HiringNeed(
            employer_id=employer.id,
            title=f"{side}分拣工",
            category="tea_processing",
            kind="regular",
            headcount=1,
            wage_unit="month",
            **{name: getattr(employer, name) for name in PLACE_COLUMN_NAMES},
        )
    )
    db.session.add(employer_visit)
    # The seeker was asked whether they still work there, 90 days after a hire (placements wing).
    placement = PlacementFollowUp(
        resident_id=resident_id,
        source_type="hire",
        source_id=applied.get_json()["id"],
        employer_id=employer.id,
        employer_name=employer.name,
        job_id=job_id,
        started_on=date.today(),
        stage_days=90,
        due_on=date.today(),
        status="asked",
        asked_at=datetime(2026, 1, 1),
        **place_columns(community),
    )
    db.session.add(placement)
    db.session.commit()
    grid_worker = make_staff("grid_worker", "community", code)
    assign_directly(grid_worker, [code])
    planned_visit_id = _side_planned_visit(household, grid_worker.id)
    export = export_listing(grid_worker, "residents", {}, "csv", False, None)  # a file only they may fetch
    case_id = db.session.scalar(
        sa.select(ZeroEmploymentCase.id).where(ZeroEmploymentCase.household_id == household.id)
    )
    assert case_id is not None, "a household of one unemployed member is a zero-employment case"
    policy_id = _draft_policy(make_staff, code[:6] + "000000")
    from tests.policies.claims_support import side_claim  # a claim with a file and an objection
    from tests.programme.sides import programme_side

    claim_ids = side_claim(resident_id, grid_worker.id)
    return {
        "ids": {
            "station_id": station_id,
            "event_id": event["id"],
            "employer_id": employer.id,
            "job_id": job_id,
            "resident_id": resident_id,
            "file_id": uploaded.get_json()["id"],
            "application_id": applied.get_json()["id"],
            "check_in_id": visit.id,
            "household_id": household.id,
            "case_id": case_id,
            "need_id": need.id,
            "account_id": grid_worker.id,
            "export_id": export.job.id,
            "certification_id": certification_id,
            "evidence_id": evidence.get_json()["id"],
            "employer_visit_id": employer_visit.id,
            "registration_id": registration.get_json()["id"],
            "planned_visit_id": planned_visit_id,
            "placement_follow_up_id": placement.id,
            "notice_id": _side_notice(code, grid_worker.id),
            "policy_id": policy_id,
            "exchange_record_id": _side_exchange_record(resident_id),
            "province_list_entry_id": _side_list_entry(community),
            **claim_ids,
            **programme_side(side, community, make_staff),
            "code": station_row.code,
        },
        "resident_headers": resident_headers,
        "employer_headers": employer_headers,
    }


def _side_exchange_record(resident_id: int) -> int:
    """Write a dead record for the province about the side's seeker; return its id."""
    from app.models.exchange import ExchangeRecord

    record = ExchangeRecord(
        record_type="person_status",
        action="create",
        subject=f"person:{resident_id}",
        source_id=resident_id,
        idempotency_key=f"hs-matrix-{resident_id}",
        status="dead",
        last_code="E_MATRIX",
    )
    db.session.add(record)
    db.session.commit()
    return record.id


def _side_list_entry(community) -> int:
    """Write a key-group list entry of the province waiting for the side's grid worker; return its id."""
    from app.models.exchange import ProvinceListEntry

    entry = ProvinceListEntry(
        list_id=f"matrix-{community.code}",
        entry_key=f"matrix-{community.code}",
        key_group="veteran",
        name="矩阵",
        status="task",
        community_code=community.code,
        **place_columns(community),
    )
    db.session.add(entry)
    db.session.commit()
    return entry.id


def _draft_policy(make_staff, district_code: str) -> int:
    """Draft a district policy of the side's district (seen by its managers only); return its id."""
    from app.services.policies.catalogue import create_policy

    author = make_staff("district_admin", "district", district_code)
    values = {
        "subject": "person",
        "title": "矩阵政策",
        "effective_from": "2026-01-01",
        "benefit": {"kind": "fixed", "amount": 100},
        "rule": {">=": [{"var": "age"}, 16]},
    }
    version, _ = create_policy(author, values, None)
    return version.policy_id


def _side_notice(community_code: str, author_id: int) -> int:
    """Publish a notice to the side's community residents, with a file (written straight to the table)."""
    from app.common import files
    from app.models import Notice

    today = clock.local_day()
    notice = Notice(
        title="矩阵通知",
        body="授权矩阵检查",
        place_kind="community",
        place_code=community_code,
        audience="residents",
        valid_from=today,
        valid_until=today + timedelta(days=7),
        status="published",
        author_id=author_id,
        attachment_path=files.store("notices", b"%PDF-1.4\n% matrix\n", files.PDF),
        attachment_name="matrix.pdf",
        attachment_type=files.PDF.content_type,
        attachment_size=18,
        published_at=utcnow(),
        **place_columns(community_by_code(community_code)),
    )
    db.session.add(notice)
    db.session.commit()
    return notice.id


def _side_planned_visit(household, worker_id: int) -> int:
    """Plan a visit of the side's grid worker to the side's household (written straight to the table)."""
    from app.models import PlannedVisit

    row = PlannedVisit(
        household_id=household.id,
        worker_id=worker_id,
        client_id=f"matrix-plan-{household.id}",
        planned_at=utcnow() + timedelta(days=1),
        **{name: getattr(household, name) for name in PLACE_COLUMN_NAMES},
    )
    db.session.add(row)
    db.session.commit()
    return row.id


# ---- the console in the API-wide checks (test_authorization_matrix.py, test_personal_data_scan.py) --

# Console URL arguments naming an object of build_side's ids under another key: an export is a
# "job" of the exports wing, not a job post.
CONSOLE_ID_KEYS = {
    "console.export_job": {"job_id": "export_id"},
    "console.export_status": {"job_id": "export_id"},
    "console.download_export": {"job_id": "export_id"},
}


def places_of(side: str) -> list[tuple[str, str]]:
    """Return (kind, code) of a side's places, its community up to its district (city-wide: none)."""
    code = SIDES[side]["code"]
    return [
        ("community", code),
        ("township", code[:9] + "000"),
        ("circle", SIDES[side]["circle"]),
        ("district", code[:6] + "000000"),
    ]


def console_client(app, account) -> tuple:
    """Return (a new test client signed in to the console as `account`, its CSRF token).

    Through the real pages: the password, then a TOTP code for the roles that require one (enrolled
    here with the console tests' known secret). A client of its own per account keeps cookies apart.
    """
    # The console tests' sign-in helpers (a lazy import: the other users of this module need none).
    from tests.console.conftest import LOGIN, TOTP_SECRET, VERIFY, csrf_token, enrol_totp, fresh_code

    client = IsolatedClient(app, app.response_class)  # one app context (and `g`) per request
    if second_factor.required(account):
        enrol_totp(account, TOTP_SECRET)
    form = {"csrf_token": csrf_token(client), "username": account.username, "password": PASSWORD}
    response = client.post(LOGIN, data=form)
    if response.status_code == 302 and response.location.startswith(VERIFY):
        form = {"csrf_token": csrf_token(client, response.location), "code": fresh_code(account, TOTP_SECRET)}
        response = client.post(VERIFY, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert not response.location.startswith(LOGIN), response.location
    return client, csrf_token(client, "/console/account")


def backend_settings(app) -> dict:
    """Return the settings that point a second app (or process) at this test's database, Redis and WeChat."""
    keys = ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "QUEUE_REDIS_URL", "WECHAT_APPID", "WECHAT_SECRET")
    return {key: app.config[key] for key in keys}
