"""Demo operators, contracts and filed circles for two districts (屯溪区 and 黄山区).

One operator (运营机构) with a district-wide contract for 屯溪区 this year; demo-operator,
demo-station-staff (full-time) and demo-grid-worker (part-time) work for it. 屯溪区's six pilot
circles are filed by its district admin and accepted by the city (they stay as seeded: the
filing names the townships they already have). 黄山区 gets four communities in two towns and two
new circles, filed by its district admin (an author account with no password: the demo signs
in as 屯溪区's): 甘棠 accepted and in force, 仙源 waiting for the city. Through the real services;
what exists is found and left alone, so a second run adds nothing.
"""

from datetime import date, timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.common.credit_code import check_character
from app.extensions import db
from app.models import (
    Account,
    Circle,
    CircleFiling,
    Community,
    District,
    EmploymentType,
    Operator,
    Station,
    Township,
)
from app.services.people import place_import, places, staff
from app.services.programme import circle_filings, contracts, operators

TUNXI, HUANGSHAN = "341002000000", "341003000000"
# A made-up code whose check character is computed, so it passes the GB 32100 check.
_FIRST17 = "91341000MA2N8K0X1"
DEMO_CREDIT_CODE = _FIRST17 + check_character(_FIRST17)
OPERATOR_NAME = "黄山市徽才人力资源服务有限公司"
STAFF_EMPLOYMENT = {
    "demo-operator": EmploymentType.full_time,
    "demo-station-staff": EmploymentType.full_time,
    "demo-grid-worker": EmploymentType.part_time,
}
# Not "demo-…": the demo accounts that sign in (with the demo password and TOTP) are those.
HUANGSHAN_AUTHOR = "huangshan-filing-author"
HUANGSHAN_COMMUNITIES = """code,name,kind,township_code,lat,lng,population,households
341003100011,甘棠社区,community,341003100000,30.2760,118.1390,5200,1900
341003100012,桃花村,village,341003100000,30.2650,118.1250,1800,620
341003101011,仙源社区,community,341003101000,30.2470,118.1930,3100,1100
341003101012,龙门村,village,341003101000,30.2380,118.2050,1500,540
"""
# (key, name, township code, accepted now?)
HUANGSHAN_CIRCLES = (
    ("gantang", "甘棠就业圈", "341003100000", True),
    ("xianyuan", "仙源就业圈", "341003101000", False),
)


def _account(username: str) -> Account | None:
    return db.session.scalar(sa.select(Account).where(Account.username == username))


def _operator(city: Account) -> tuple[Operator, int]:
    """Return the demo operator (entered if missing) and how many were added."""
    operator, created = operators.create_operator(
        city,
        {
            "name": OPERATOR_NAME,
            "credit_code": DEMO_CREDIT_CODE,
            "contact_name": "汪经理",
            "contact_phone": "13955900001",
        },
        None,
    )
    return db.session.get(Operator, operator["id"]), int(created)


def _contract(city: Account, operator: Operator) -> int:
    """Give the operator this year's contract for 屯溪区 (one per year, by its client id)."""
    year = local_day().year
    district = places.find_place("district", TUNXI)
    population = district.population or 291188
    _, created = contracts.create_contract(
        city,
        {
            "operator_id": operator.id,
            "district": TUNXI,
            "starts_on": date(year, 1, 1),
            "ends_on": date(year, 12, 31),
            "population_served": population,
            "fee_fen": population * 80,  # 8,000 yuan per 10,000 people
            "reference": f"HSRS-{year}-TX01",
            "client_id": f"demo-contract-tunxi-{year}",
        },
        None,
    )
    return int(created)


def _attach_staff(city: Account, operator: Operator) -> int:
    """Put demo-operator and the front-line demo staff on the operator, with their employment type."""
    attached = 0
    for username, employment in STAFF_EMPLOYMENT.items():
        account = _account(username)
        if account is None or account.operator_id == operator.id:
            continue
        values = {"operator_id": operator.id, "employment_type": employment.value}
        staff.update_staff(city, account.id, values, None)
        attached += 1
    return attached


def _centre(township_ids: list[int], station_ids: list[int]) -> tuple[float | None, float | None]:
    """Return a circle's centre: its first station's point, else its first township office."""
    point = db.session.execute(
        sa.select(Station.lat, Station.lng).where(Station.id.in_(station_ids)).order_by(Station.id).limit(1)
    ).first()
    if point is None:
        point = db.session.execute(
            sa.select(Township.lat, Township.lng)
            .where(Township.id.in_(township_ids), Township.lat.is_not(None))
            .order_by(Township.code)
            .limit(1)
        ).first()
    return (point.lat, point.lng) if point else (None, None)


def _file(author: Account, city: Account, values: dict, accept: bool) -> None:
    """Define, file and (when `accept`) accept one circle, through the filings' workflow."""
    filing, _ = circle_filings.create_filing(author, values, None)
    circle_filings.file_filing(author, filing["id"], None)
    if accept:
        circle_filings.accept_filing(city, filing["id"], None)


def _tunxi_filings(author: Account, city: Account, operator: Operator) -> int:
    """File and accept 屯溪区's pilot circles as they are (those with no filing yet)."""
    district = places.find_place("district", TUNXI)
    filed = 0
    circles = db.session.scalars(
        sa.select(Circle)
        .where(Circle.district_id == district.id, Circle.status == "active")
        .order_by(Circle.id)
    ).all()
    for circle in circles:
        if db.session.scalar(sa.select(CircleFiling.id).where(CircleFiling.circle_id == circle.id).limit(1)):
            continue
        townships = db.session.scalars(
            sa.select(Township.code).where(Township.circle_id == circle.id).order_by(Township.code)
        ).all()
        township_ids = db.session.scalars(sa.select(Township.id).where(Township.circle_id == circle.id)).all()
        stations = db.session.scalars(
            sa.select(Station.id).where(Station.circle_id == circle.id).order_by(Station.id)
        ).all()
        # Communities placed in the circle apart from their township's (a town shared by two).
        apart = db.session.scalars(
            sa.select(Community.code)
            .where(Community.circle_id == circle.id, Community.township_id.not_in(township_ids))
            .order_by(Community.code)
        ).all()
        has_communities = db.session.scalar(
            sa.select(Community.id).where(Community.circle_id == circle.id).limit(1)
        )
        if not has_communities:
            continue  # nothing to file: a circle covers at least one community
        lat, lng = _centre(list(township_ids), list(stations))
        values = {
            "circle": f"{district.short_code}-{circle.key}",
            "name": circle.name,
            "township_codes": list(townships),
            "community_codes": list(apart),
            "station_ids": list(stations),
            "centre_lat": lat,
            "centre_lng": lng,
            "operator_id": operator.id,
            "effective_from": local_day(),
            "note": "试点就业圈，按现有范围报备",
        }
        _file(author, city, values, accept=True)
        filed += 1
    return filed


def _huangshan_filings(city: Account) -> int:
    """Give 黄山区 four communities and two circles: one in force, one waiting for the city."""
    district = places.find_place("district", HUANGSHAN)
    codes = [line.split(",")[0] for line in HUANGSHAN_COMMUNITIES.splitlines()[1:]]
    if db.session.scalar(
        sa.select(sa.func.count()).select_from(Community).where(Community.code.in_(codes))
    ) < len(codes):
        place_import.import_communities(HUANGSHAN_COMMUNITIES)
    author = _account(HUANGSHAN_AUTHOR)
    if author is None:
        # No password: the author of 黄山区's filings, not an account to sign in with.
        author = Account(
            username=HUANGSHAN_AUTHOR,
            role="district_admin",
            scope_kind="district",
            scope_id=district.id,
            display_name="演示 黄山区人社局管理员",
            is_active=True,
        )
        db.session.add(author)
        db.session.commit()
    filed = 0
    for key, name, township, accept in HUANGSHAN_CIRCLES:
        if db.session.scalar(
            sa.select(Circle.id).where(Circle.district_id == district.id, Circle.key == key)
        ):
            continue
        township_row = places.find_place("township", township)
        values = {
            "key": key,
            "name": name,
            "township_codes": [township],
            "centre_lat": township_row.lat,
            "centre_lng": township_row.lng,
            # The waiting one starts next month, once the city has looked at it.
            "effective_from": local_day() if accept else local_day() + timedelta(days=30),
            "client_id": f"demo-filing-{key}",
        }
        _file(author, city, values, accept)
        filed += 1
    return filed


def demo_operators() -> dict:
    """Add what is missing; return what was added."""
    city, author = _account("demo-city-admin"), _account("demo-district-admin")
    if city is None or author is None or db.session.get(District, author.scope_id) is None:
        return {}
    operator, added_operator = _operator(city)
    return {
        "operators": added_operator,
        "contracts": _contract(city, operator),
        "staff_attached": _attach_staff(city, operator),
        "tunxi_filings": _tunxi_filings(author, city, operator),
        "huangshan_filings": _huangshan_filings(city),
    }
