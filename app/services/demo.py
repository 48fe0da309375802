"""Demo data for the embedded default (`flask demo-data`): every wing's records in 屯溪区.

Above the wings: it imports from each of them, and nothing imports it but the command line.
Long because most of it is data (staff, residents, employers and jobs, households), kept in one
place so the README's walk-through can be checked against it.
"""

import csv
import functools
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.common.credit_code import check_character
from app.common.crypto import encrypt, lookup_hash
from app.common.identity import id_check_character, mask_phone
from app.extensions import db
from app.models import (
    Account,
    Employer,
    EmployerStatus,
    GridAssignment,
    Household,
    Job,
    JobStatus,
    Resident,
    Role,
    Station,
    StationStaff,
    StatusSource,
    utcnow,
)
from app.services.jobs.posts import monthly
from app.services.jobs.search import geo_index
from app.services.people import audit, place_import, places
from app.services.people.accounts import check_new_password, hash_password
from app.services.people.personal_data import set_id_number, set_phone
from app.services.people.residents import set_community
from app.services.people.status import recompute, record_status, set_key_groups
from app.services.stations import opening_hours
from app.services.stations.stations import station_places

DEMO_COMMUNITIES = Path(__file__).resolve().parent.parent / "data" / "demo_communities.csv"

# (username, role, scope kind, scope code, display name)
DEMO_STAFF = (
    ("demo-city-admin", "city_admin", "city", "341000000000", "演示 市人社局管理员"),
    ("demo-operator", "operator", "circle", "341002-chengzhong", "演示 城中就业圈运营"),
    ("demo-grid-worker", "grid_worker", "community", "341002002001", "演示 网格员"),
    ("demo-station-staff", "station_staff", "circle", "341002-chengzhong", "演示 城中服务站"),
)

# (name, birth date, sequence, phone, community code, status, key groups)
DEMO_RESIDENTS = (
    ("王芳", "19880312", "024", "13900000001", "341002002001", "employed", []),
    ("李强", "19950721", "035", "13900000002", "341002002001", "unemployed", ["college_graduate"]),
    (
        "张秀英",
        "19720105",
        "046",
        "13900000003",
        "341002002001",
        "unemployed_registered",
        ["hard_to_employ", "registered_unemployed"],
    ),
    ("刘洋", "19990909", "057", "13900000004", "341002004001", "flexible", ["flexible_worker"]),
    ("陈静", "19830618", "068", "13900000005", "341002004001", "employed", []),
    ("杨军", "19790227", "079", "13900000006", "341002001001", "unemployed", ["veteran"]),
)


# Employers around the six Tunxi circles: (WeChat openid, name, industry, lat, lng, address, jobs).
# Each job: (title, category, kind, wage_min, wage_max, unit, headcount, skills).
DEMO_EMPLOYERS = (
    (
        "demo-employer-1",
        "黄山演示老街茶庄",
        "tea_processing",
        29.7095,
        118.3050,
        "屯溪区老街演示路8号",
        (
            ("茶叶包装工", "tea_processing", "regular", 3500, 4500, "month", 4, ["包装", "茶叶"]),
            ("茶艺讲解员", "retail", "part_time", 25, 35, "hour", 2, ["普通话", "茶艺"]),
        ),
    ),
    (
        "demo-employer-2",
        "黄山演示徽菜馆",
        "catering",
        29.7170,
        118.3215,
        "屯溪区昱中演示街12号",
        (
            ("后厨帮工", "catering", "regular", 3800, 4800, "month", 3, ["切配"]),
            ("周末传菜员", "catering", "gig", 150, 180, "day", 5, []),
        ),
    ),
    (
        "demo-employer-3",
        "黄山演示快递服务站",
        "logistics_delivery",
        29.7235,
        118.3395,
        "屯溪区昱东演示路3号",
        (
            ("快递分拣员", "logistics_delivery", "regular", 4500, 6000, "month", 6, ["驾驶证C1"]),
            ("社区配送员", "logistics_delivery", "part_time", 20, 28, "hour", 4, ["电动车"]),
        ),
    ),
    (
        "demo-employer-4",
        "黄山演示家政服务公司",
        "housekeeping",
        29.7010,
        118.3310,
        "屯溪区阳湖演示大道66号",
        (
            ("住家保洁员", "housekeeping", "regular", 4000, 5500, "month", 3, ["保洁"]),
            ("养老护理员", "care", "regular", 4500, 6000, "month", 2, ["护理证"]),
        ),
    ),
    (
        "demo-employer-5",
        "黄山演示电子科技厂",
        "manufacturing",
        29.7345,
        118.2700,
        "屯溪区奕棋演示园区2栋",
        (
            ("普工(长白班)", "manufacturing", "regular", 4200, 5200, "month", 20, []),
            ("质检员", "manufacturing", "regular", 4500, 5500, "month", 3, ["质检"]),
        ),
    ),
    (
        "demo-employer-6",
        "黄山演示高新软件公司",
        "it",
        29.7600,
        118.3310,
        "屯溪区新潭演示科技园A座",
        (
            ("Java开发工程师", "it", "regular", 7000, 11000, "month", 2, ["Java", "MySQL"]),
            ("软件测试实习生", "it", "internship", 2500, 3000, "month", 2, ["测试"]),
        ),
    ),
    (
        "demo-employer-7",
        "屯溪区演示社区服务中心",
        "security_cleaning",
        29.7120,
        118.2925,
        "屯溪区昱西演示路20号",
        (
            ("社区保洁(公益性岗位)", "security_cleaning", "public_welfare", 2000, 2200, "month", 4, []),
            ("小区门岗保安", "security_cleaning", "regular", 3000, 3600, "month", 2, ["保安证"]),
        ),
    ),
    (
        "demo-employer-8",
        "黄山演示温泉酒店",
        "tourism_hotel",
        29.7440,
        118.3440,
        "屯溪区屯光演示路1号",
        (
            ("客房服务员", "tourism_hotel", "regular", 3600, 4400, "month", 6, ["客房"]),
            ("前台接待", "tourism_hotel", "regular", 3800, 4600, "month", 2, ["普通话", "英语"]),
        ),
    ),
)


def demo_credit_code(number: int) -> str:
    """Build a valid (fictional) unified social credit code for a demo employer."""
    first17 = f"91341002MA2DK{number:04d}"
    return first17 + check_character(first17)


def _demo_employers() -> list[dict]:
    """Create the demo employers (verified) and their published jobs; skip those that exist."""
    now = utcnow()
    created = []
    for number, (openid, name, industry, lat, lng, address, jobs) in enumerate(DEMO_EMPLOYERS, start=1):
        account = db.session.scalar(sa.select(Account).where(Account.openid == openid))
        if account is None:
            account = Account(role=Role.employer.value, openid=openid, display_name=name)
            db.session.add(account)
            db.session.flush()
        employer = db.session.scalar(sa.select(Employer).where(Employer.account_id == account.id))
        phone = f"1390001{number:04d}"
        if employer is None:
            employer = Employer(
                account_id=account.id,
                name=name,
                credit_code=demo_credit_code(number),
                contact_name="演示联系人",
                contact_phone_enc=encrypt(phone, "phone"),
                contact_phone_hmac=lookup_hash(phone, "phone"),
                contact_phone_hint=mask_phone(phone),
                industry=industry,
                size="small",
                address=address,
                lat=lat,
                lng=lng,
                status=EmployerStatus.verified.value,
                decided_at=now,
                decision_reason="demo data",
                **places.locate(lat, lng),
            )
            db.session.add(employer)
            for offset, (title, category, kind, low, high, unit, headcount, skills) in enumerate(jobs):
                db.session.add(
                    Job(
                        employer=employer,
                        title=title,
                        description=f"{name}招聘{title}，就近上岗。(演示数据)",
                        category=category,
                        kind=kind,
                        wage_min=low,
                        wage_max=high,
                        wage_unit=unit,
                        monthly_wage_max=monthly(high, unit),
                        headcount=headcount,
                        address=address,
                        # A few tens of metres apart, so the map shows separate pins.
                        lat=lat + 0.0004 * offset,
                        lng=lng + 0.0004 * offset,
                        skills=skills,
                        status=JobStatus.published.value,
                        valid_until=now + timedelta(days=30),
                        published_at=now,
                        refreshed_at=now,
                        **places.locate(lat, lng),
                    )
                )
        created.append({"openid": openid, "name": name, "jobs": len(jobs)})
    return created


# One demo station per Tunxi circle: (circle key, name, address, lat, lng) — approximate.
DEMO_STATIONS = (
    ("chengzhong", "城中就业圈服务站", "屯溪区昱中街道 (演示地址)", 29.7155, 118.3175),
    ("chengdong", "城东就业圈服务站", "屯溪区昱东街道 (演示地址)", 29.7220, 118.3380),
    ("chengxi", "城西就业圈服务站", "屯溪区昱西街道 (演示地址)", 29.7120, 118.2910),
    ("jiangnan", "江南新城就业圈服务站", "屯溪区阳湖镇 (演示地址)", 29.6995, 118.3295),
    ("gongye", "工业园区就业圈服务站", "屯溪区奕棋镇 (演示地址)", 29.7345, 118.2685),
    ("gaoxin", "高新区就业圈服务站", "黄山高新区新潭镇 (演示地址)", 29.7595, 118.3295),
)


def _demo_opening_hours(always: bool) -> dict:
    """Return the demo stations' hours: weekdays with a lunch break and New Year's Day off, or always open."""
    if always:  # DEMO_STATION_HOURS=always: a queue number at any hour, for tests run at night
        week = {day: [{"opens": "00:00", "closes": "24:00"}] for day in opening_hours.WEEKDAYS}
        return opening_hours.normalise({"weekly": week})
    office = [{"opens": "08:30", "closes": "12:00"}, {"opens": "14:00", "closes": "17:30"}]
    week = {day: office for day in opening_hours.WEEKDAYS[:5]}
    holiday = {"date": date(2027, 1, 1), "closed": True, "note": "元旦"}
    return opening_hours.normalise({"weekly": week, "exceptions": [holiday]})


def _demo_stations(always_open: bool = False) -> list[dict]:
    """Create one station per Tunxi circle (the 城中 one staffed by demo-station-staff)."""
    created = []
    schedule = _demo_opening_hours(always_open)
    staff = db.session.scalar(sa.select(Account).where(Account.username == "demo-station-staff"))
    for key, name, address, lat, lng in DEMO_STATIONS:
        circle = places.find_place("circle", f"341002-{key}")
        code = f"341002-{key}-01"
        station = db.session.scalar(sa.select(Station).where(Station.code == code))
        if station is None and circle is not None:
            station = Station(
                code=code,
                name=name,
                address=address,
                lat=lat,
                lng=lng,
                hours=opening_hours.describe(schedule),
                opening_hours=schedule,
                phone="0559-2500000",
                **station_places(circle, lat, lng),
            )
            if key == "chengzhong" and staff is not None:
                station.staff_rows = [StationStaff(account_id=staff.id)]
            db.session.add(station)
        if station is not None:
            created.append({"code": code, "name": name})
    return created


# Households per demo community: (key suffix, members), each member being
# (given name, birth date, sex digit, status, key groups, household head).
# The third household of each community has nobody in work: a zero-employment household.
DEMO_HOUSEHOLDS = (
    (
        "01",
        (
            ("建国", "19700305", "1", "employed", [], True),
            ("秀兰", "19720611", "2", "flexible", ["flexible_worker"], False),
            ("浩然", "20020908", "1", "unemployed", ["college_graduate"], False),
        ),
    ),
    (
        "02",
        (
            ("志强", "19650120", "3", "retired", [], True),
            ("丽娟", "19900417", "4", "employed", ["migrant_worker"], False),
        ),
    ),
    (
        "03",
        (
            ("永军", "19780823", "5", "unemployed_registered", ["hard_to_employ"], True),
            ("桂芳", "19800214", "6", "unemployed", [], False),
            ("子涵", "20100509", "7", "student", [], False),
        ),
    ),
)
DEMO_SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭"


def _demo_staff(username: str, role: str, kind: str, code: str, display_name: str, hashed) -> Account:
    """Return a demo staff account; made if missing with `hashed()`, the demo password's one hash.

    Not through staff.create_admin: that hashes once per account (0.1 s of scrypt each, 2 s for
    the demo's 21 on a first `make run`).
    """
    account = db.session.scalar(sa.select(Account).where(Account.username == username))
    if account is None:
        place = places.find_place(kind, code)
        account = Account(username=username, role=role, scope_kind=kind, scope_id=place.id)
        account.display_name, account.password_hash, account.is_active = display_name, hashed(), True
        db.session.add(account)
        db.session.flush()
    return account


def _demo_households(hashed) -> dict:
    """Give every demo community three households and a grid worker assigned to it; safe to run again."""
    made = {"households": 0, "grid_workers": []}
    communities = list(csv.DictReader(DEMO_COMMUNITIES.read_text(encoding="utf-8").splitlines()))
    for number, row in enumerate(communities):
        community = places.community_by_code(row["code"])
        username = "demo-grid-worker" if row["code"] == "341002002001" else f"demo-grid-{row['code']}"
        worker = _demo_staff(
            username, "grid_worker", "community", row["code"], f"演示 网格员 {community.name}", hashed
        )
        if db.session.get(GridAssignment, (worker.id, community.id)) is None:
            db.session.add(GridAssignment(account_id=worker.id, community_id=community.id))
        made["grid_workers"].append(username)
        surname = DEMO_SURNAMES[number % len(DEMO_SURNAMES)]
        for index, (suffix, members) in enumerate(DEMO_HOUSEHOLDS):
            key = f"DEMO-{suffix}"
            household = db.session.scalar(
                sa.select(Household).where(Household.community_id == community.id, Household.key == key)
            )
            if household is not None:
                continue
            household = Household(
                key=key,
                address=f"{community.name}演示小区{index + 1}栋{101 + number}室",
                lat=float(row["lat"]) + 0.0012 * (index - 1),
                lng=float(row["lng"]) + 0.0009 * ((number % 3) - 1),
                **places.place_columns(community),
            )
            db.session.add(household)
            db.session.flush()
            made["households"] += 1
            for given, birth, sex, status, groups, head in members:
                # Sequence: the community's number and the sex digit (odd male, even female).
                id_number = demo_id_number(birth, f"{number:02d}{sex}")
                resident = Resident(name=surname + given, household=household, is_household_head=head)
                db.session.add(resident)
                set_id_number(resident, id_number)
                set_community(resident, community)
                set_key_groups(resident, groups)
                record_status(
                    resident, status, StatusSource.staff, note="demo data", recompute_household=False
                )
            db.session.flush()
            recompute(household.id, StatusSource.staff)
    return made


def demo_id_number(birth: str, sequence: str) -> str:
    """Build a valid 屯溪区 ID-card number for a demo resident."""
    first17 = f"341002{birth}{sequence}"
    first17 = first17[:17]
    return first17 + id_check_character(first17)


def create_demo_data(password: str) -> dict:
    """Create the demo communities, staff and residents; safe to run again."""
    report = place_import.import_communities(DEMO_COMMUNITIES.read_text(encoding="utf-8"))
    check_new_password(password, field="DEMO_PASSWORD")
    hashed = functools.cache(lambda: hash_password(password))  # hashed only if an account is new
    staff = []
    for username, role, kind, code, display_name in DEMO_STAFF:
        _demo_staff(username, role, kind, code, display_name, hashed)
        staff.append({"username": username, "role": role, "scope": f"{kind} {code}"})
    residents = []
    for name, birth, sequence, phone, community_code, status, groups in DEMO_RESIDENTS:
        id_number = demo_id_number(birth, sequence + "1")
        resident = db.session.scalar(
            sa.select(Resident).where(Resident.id_number_hmac == lookup_hash(id_number, "id_number"))
        )
        if resident is None:
            resident = Resident(name=name)
            db.session.add(resident)
            set_id_number(resident, id_number)
            set_phone(resident, phone)
            set_community(resident, places.community_by_code(community_code))
            set_key_groups(resident, groups)
            record_status(resident, status, StatusSource.staff, note="demo data")
            db.session.flush()
        residents.append({"id": resident.id, "name": name, "community": community_code})
    employers = _demo_employers()
    stations = _demo_stations(current_app.config["DEMO_STATION_HOURS"] == "always")
    grid = _demo_households(hashed)
    db.session.commit()
    geo_index.rebuild()
    return {
        "communities": report.as_dict(),
        "staff": staff,
        "residents": residents,
        "employers": employers,
        "stations": stations,
        "households": grid["households"],
        "grid_workers": grid["grid_workers"],
    }


def set_demo_passwords(password: str) -> int:
    """Give every demo staff account `password` and lift its lockout; return how many accounts.

    Run on every development start, so the password the banner prints is the one that works
    (DEMO_PASSWORD may change between starts). One hash for all: one scrypt, not one each.
    """
    check_new_password(password, field="DEMO_PASSWORD")
    demo_staff = sa.and_(Account.username.like("demo-%"), Account.password_hash.is_not(None))
    changed = db.session.execute(
        sa.update(Account)
        .where(demo_staff)
        .values(password_hash=hash_password(password), failed_logins=0, locked_until=None)
    ).rowcount
    audit.commit(
        "staff.update", actor_label="cli", object_type="account", detail={"via": "dev-setup", "demo": changed}
    )
    return changed
