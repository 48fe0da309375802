"""Demo stations: one per Tunxi circle, with office hours (or open always, for tests at night)."""

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import Account, Station, StationStaff
from app.services.people import places
from app.services.stations import opening_hours
from app.services.stations.stations import station_places

# One demo station per Tunxi circle: (circle key, name, address, lat, lng) — approximate.
DEMO_STATIONS = (
    ("chengzhong", "城中就业圈服务站", "屯溪区昱中街道 (演示地址)", 29.7155, 118.3175),
    ("chengdong", "城东就业圈服务站", "屯溪区昱东街道 (演示地址)", 29.7220, 118.3380),
    ("chengxi", "城西就业圈服务站", "屯溪区昱西街道 (演示地址)", 29.7120, 118.2910),
    ("jiangnan", "江南新城就业圈服务站", "屯溪区阳湖镇 (演示地址)", 29.6995, 118.3295),
    ("gongye", "工业园区就业圈服务站", "屯溪区奕棋镇 (演示地址)", 29.7345, 118.2685),
    ("gaoxin", "高新区就业圈服务站", "黄山高新区新潭镇 (演示地址)", 29.7595, 118.3295),
)


def demo_opening_hours(always: bool) -> dict:
    """Return the demo stations' hours: weekdays with a lunch break and New Year's Day off, or always open."""
    if always:  # DEMO_STATION_HOURS=always: a queue number at any hour, for tests run at night
        week = {day: [{"opens": "00:00", "closes": "24:00"}] for day in opening_hours.WEEKDAYS}
        return opening_hours.normalise({"weekly": week})
    office = [{"opens": "08:30", "closes": "12:00"}, {"opens": "14:00", "closes": "17:30"}]
    week = {day: office for day in opening_hours.WEEKDAYS[:5]}
    holiday = {"date": date(2027, 1, 1), "closed": True, "note": "元旦"}
    return opening_hours.normalise({"weekly": week, "exceptions": [holiday]})


def demo_stations(always_open: bool = False) -> list[dict]:
    """Create one station per Tunxi circle (the 城中 one staffed by demo-station-staff)."""
    created = []
    schedule = demo_opening_hours(always_open)
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
