"""A small world for the dashboard tests: snapshots, grid workers and visits, a station's visitors, pushes.

Everything of the figures the charts must show is written straight into the tables, in last
month (a closed month, so the figures do not move with today's date) unless said otherwise:

- ledger snapshots of three communities (昱中一社区 in 城中 / 昱中, 昱东一社区 in 城东 / 昱东, and
  黄山区一村 in 黄山区 / 甘棠镇, outside every circle) for last month and this month;
- two grid workers of 昱中一社区: 甲 visited on ten days of last month (on plan), 乙 on none (behind);
- one household with an unemployed member, a zero-employment case open since 45 days ago;
- a station of 城中 with four visits last month (two recommended jobs, one registered, one not served)
  and pushes of last month (job_match: 3 sent, 1 refused for want of quota, 1 failed;
  application_update: 1 sent);
- a resident whose full ID number and phone no page may show.
"""

import html
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from app.common import clock
from app.extensions import db
from app.models import CheckIn, LedgerSnapshot, Push, Station, Visit, ZeroEmploymentCase
from app.services.people.places import community_by_code, place_columns
from tests.conftest import make_id_number
from tests.support import assign_directly, make_household

CITY = "341000000000"
TUNXI, HUANGSHAN_DISTRICT = "341002000000", "341003000000"
CHENGZHONG, CHENGDONG = "341002-chengzhong", "341002-chengdong"
YUZHONG, LAOJIE, GANTANG = "341002002000", "341002004000", "341003100000"
YUZHONG_1, YUZHONG_2, YUDONG_1, VILLAGE = "341002002001", "341002002002", "341002001001", "341003100001"
STATION_POINT = (29.7162, 118.3184)
SECRET_ID = make_id_number("19850505")
SECRET_PHONE = "13987654321"

# Last month's ledger per community: statuses, key groups, flows, households and coverage.
LAST_MONTH = {
    YUZHONG_1: {
        "by_status": {
            "employed": 40,
            "flexible": 5,
            "unemployed": 6,
            "unemployed_registered": 4,
            "student": 10,
        },
        "by_key_group": {"hard_to_employ": 3, "college_graduate": 2},
        "flows": {"became_unemployed": 2, "re_employed": 1, "registered_unemployed": 1},
        "households": 30,
        "zero": 2,
        "coverage": {"met": 12, "moved": 2, "not_home": 3, "refused": 1},
    },
    YUDONG_1: {
        "by_status": {"employed": 20, "unemployed": 3},
        "by_key_group": {"migrant_worker": 4},
        "flows": {"became_unemployed": 1, "re_employed": 0, "registered_unemployed": 0},
        "households": 10,
        "zero": 0,
        "coverage": {"met": 9, "moved": 0, "not_home": 0, "refused": 0},
    },
    VILLAGE: {
        "by_status": {"employed": 7, "unemployed": 1},
        "by_key_group": {},
        "flows": {"became_unemployed": 0, "re_employed": 0, "registered_unemployed": 0},
        "households": 4,
        "zero": 0,
        "coverage": {"met": 1, "moved": 0, "not_home": 0, "refused": 0},
    },
}
# This month: every community one more employed than last month.
THIS_MONTH_EXTRA_EMPLOYED = 1


@dataclass
class World:
    """What the tests look for: the months, the workers and the station."""

    this_month: date
    last_month: date
    worker_on_plan: object
    worker_behind: object
    station: Station

    @property
    def last(self) -> str:
        """Return last month as YYYY-MM."""
        return self.last_month.strftime("%Y-%m")

    @property
    def this(self) -> str:
        """Return this month as YYYY-MM."""
        return self.this_month.strftime("%Y-%m")


def utc_of(day: date, hour: int, minute: int = 0) -> datetime:
    """Return the naive-UTC moment of a local time on `day`."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=clock.zone())
    return local.astimezone(UTC).replace(tzinfo=None)


def _snapshot(code: str, month: date, figures: dict, extra_employed: int = 0) -> None:
    community = community_by_code(code)
    by_status = dict(figures["by_status"])
    by_status["employed"] = by_status.get("employed", 0) + extra_employed
    db.session.add(
        LedgerSnapshot(
            month=month.strftime("%Y-%m"),
            residents=sum(by_status.values()),
            households=figures["households"],
            zero_employment_households=figures["zero"],
            by_status=by_status,
            by_key_group=figures["by_key_group"],
            flows=figures["flows"],
            coverage={"quarter_start": clock.quarter_start(month).isoformat(), **figures["coverage"]},
            created_at=utc_of(month, 12),
            **place_columns(community),
        )
    )


def build_world(make_staff, make_resident) -> World:
    """Write the world (see the module's docstring) and return what the tests look for."""
    this_month = clock.local_day().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    for code, figures in LAST_MONTH.items():
        _snapshot(code, last_month, figures)
        _snapshot(code, this_month, figures, THIS_MONTH_EXTRA_EMPLOYED)
    db.session.commit()

    # The resident whose full ID number and phone must never show; a zero-employment household.
    make_resident(YUZHONG_1, name="隐私居民", id_number=SECRET_ID, phone=SECRET_PHONE)
    household = make_household(YUZHONG_1, [("零就业户主", "unemployed", "19800101")], key="H-ZERO")
    case = db.session.scalar(
        db.select(ZeroEmploymentCase).where(ZeroEmploymentCase.household_id == household.id)
    )
    case.opened_at = clock.utc_start_of(clock.local_day()) - timedelta(days=45)

    on_plan = make_staff("grid_worker", "community", YUZHONG_1, username="grid-jia")
    behind = make_staff("grid_worker", "community", YUZHONG_1, username="grid-yi")
    on_plan.display_name, behind.display_name = "网格员甲", "网格员乙"
    db.session.commit()
    assign_directly(on_plan, [YUZHONG_1])
    assign_directly(behind, [YUZHONG_1])
    community = community_by_code(YUZHONG_1)
    for index in range(10):
        day = last_month + timedelta(days=index)
        db.session.add(
            Visit(
                worker_id=on_plan.id,
                client_id=uuid.uuid4().hex,
                household_id=household.id,
                visited_at=utc_of(day, 9),
                visit_day=day,
                outcome="met",
                **place_columns(community),
            )
        )

    station = Station(
        code="341002-chengzhong-01",
        name="昱中服务站",
        lat=STATION_POINT[0],
        lng=STATION_POINT[1],
        **place_columns(community),
    )
    db.session.add(station)
    db.session.flush()
    visit_day = last_month + timedelta(days=9)
    for number, (purpose, outcome, served) in enumerate(
        [
            ("job_seeking", "recommended_jobs", True),
            ("job_seeking", "recommended_jobs", True),
            ("registration", "registered", True),
            ("consult", None, False),
        ],
        start=1,
    ):
        arrived = utc_of(visit_day, 10, number)
        db.session.add(
            CheckIn(
                account_id=on_plan.id,
                client_id=uuid.uuid4().hex,
                station_id=station.id,
                purpose=purpose,
                via="printed",
                day=visit_day,
                queue_key=f"s{station.id}:{visit_day.isoformat()}",
                queue_number=number,
                served_at=arrived + timedelta(minutes=10) if served else None,
                outcome=outcome,
                created_at=arrived,
                **place_columns(community),
            )
        )
    pushes = [("job_match", "sent", None)] * 3 + [
        ("job_match", "skipped", "no_quota"),
        ("job_match", "failed", "wechat 43101"),
        ("application_update", "sent", None),
    ]
    for number, (kind, status, error) in enumerate(pushes, start=1):
        db.session.add(
            Push(
                account_id=on_plan.id,
                kind=kind,
                object_type="job",
                object_id=str(number),
                status=status,
                data={},
                day=visit_day,
                send_after=utc_of(visit_day, 9),
                last_error=error,
                **place_columns(community),
            )
        )
    db.session.commit()
    return World(this_month, last_month, on_plan, behind, station)


# ---- reading a dashboard page --------------------------------------------------------------------

_OPTIONS = re.compile(r'<script type="application/json" id="([^"]+)-options">(.*?)</script>', re.S)
_CRUMBS = re.compile(r'<ol data-testid="breadcrumbs">(.*?)</ol>', re.S)
_CRUMB = re.compile(r"<li>(?:<a [^>]*>|<span [^>]*>)([^<]+)</(?:a|span)></li>")
_TABS = re.compile(r'<nav class="section-tabs".*?</nav>', re.S)
_TAB = re.compile(r'data-section="([a-z_]+)"')
_DRILL = re.compile(r'<section class="drill-down".*?</section>', re.S)
_LINK = re.compile(r'<a href="([^"]+)"[^>]*>([^<]+)</a>')


def charts_of(page: str) -> dict[str, dict]:
    """Return the chart options a dashboard page carries, by chart id."""
    return {found.group(1): json.loads(found.group(2)) for found in _OPTIONS.finditer(page)}


def series_of(options: dict) -> dict[str, list]:
    """Return a chart's series data by series name."""
    return {series["name"]: series["data"] for series in options["series"]}


def crumbs_of(page: str) -> list[str]:
    """Return the names in a dashboard page's breadcrumbs, top first."""
    found = _CRUMBS.search(page)
    assert found, "no breadcrumbs on this page"
    return _CRUMB.findall(found.group(1))


def tabs_of(page: str) -> list[str]:
    """Return the sections a dashboard page offers, in order."""
    found = _TABS.search(page)
    assert found, "no section tabs on this page"
    return _TAB.findall(found.group(0))


def drill_links(page: str) -> dict[str, str]:
    """Return the drill-down links of a dashboard page: place name -> address."""
    found = _DRILL.search(page)
    assert found, "no drill-down on this page"
    return {name: html.unescape(url) for url, name in _LINK.findall(found.group(0)) if "/dashboard/" in url}


def add_grid_workers(make_staff, count: int) -> list[str]:
    """Add `count` grid workers of 昱中一社区 with no visits (all behind plan); return their names."""
    workers = []
    for n in range(1, count + 1):
        worker = make_staff("grid_worker", "community", YUZHONG_1, username=f"grid-extra-{n:02d}")
        worker.display_name = f"网格员{n:02d}号"
        workers.append(worker)
    db.session.commit()
    for worker in workers:
        assign_directly(worker, [YUZHONG_1])
    return [worker.display_name for worker in workers]
