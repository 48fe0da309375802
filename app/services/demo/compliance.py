"""Demo populations and the compliance gaps the demo's data leaves.

The city's and districts' 七普 figures from the seed are entered as the city admin would
(source 第七次全国人口普查, 2020-11-01) for the places that have none yet, through the real
service (audited). Then one compliance check, if none has run, so the console's 达标检查 page
shows gaps: circles without a station or a full-time staff member, communities without an
employment officer, last month's visit days short. A second run adds nothing.
"""

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import Account, City, ComplianceGap, District, PlacePopulation
from app.services.programme import compliance, populations

CENSUS = "第七次全国人口普查"
CENSUS_DAY = date(2020, 11, 1)


def demo_compliance() -> dict:
    """Add what is missing; return what was added."""
    admin = db.session.scalar(sa.select(Account).where(Account.username == "demo-city-admin"))
    if admin is None:
        return {}
    added = 0
    entered = set(db.session.execute(sa.select(PlacePopulation.place_kind, PlacePopulation.place_id)).all())
    places = [("city", row) for row in db.session.scalars(sa.select(City).order_by(City.code))]
    places += [("district", row) for row in db.session.scalars(sa.select(District).order_by(District.code))]
    for kind, place in places:
        if place.population is None or (kind, place.id) in entered:
            continue
        values = {"place_kind": kind, "place_code": place.code, "population": place.population}
        values.update(urban_population=None, source=CENSUS, as_of=CENSUS_DAY)
        _, created = populations.set_population(admin, values)
        added += int(created)
    opened = 0
    if db.session.scalar(sa.select(sa.func.count()).select_from(ComplianceGap)) == 0:
        opened = compliance.check_compliance()["opened"]
    return {"populations": added, "compliance_gaps": opened}
