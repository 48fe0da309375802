"""The operators' demo: an operator contracted for 屯溪区, its staff, and circles filed in two districts."""

import sqlalchemy as sa

from app.extensions import db
from app.models import Account, Circle, CircleFiling, District, OperatorContract
from app.services.demo.grid import DEMO_COMMUNITIES
from app.services.demo.operators import demo_operators
from app.services.people import place_import


def _statuses(district_code: str) -> dict:
    district = db.session.scalar(sa.select(District).where(District.code == district_code))
    rows = db.session.execute(
        sa.select(Circle.key, Circle.status, CircleFiling.status)
        .join(CircleFiling, CircleFiling.circle_id == Circle.id)
        .where(Circle.district_id == district.id)
    ).all()
    return {key: (circle, filing) for key, circle, filing in rows}


def test_the_demo_files_both_districts_circles_once(make_staff):
    place_import.import_communities(DEMO_COMMUNITIES.read_text(encoding="utf-8"))  # every pilot circle's
    make_staff("city_admin", "city", "341000000000", username="demo-city-admin")
    make_staff("district_admin", "district", "341002000000", username="demo-district-admin")
    operator_account = make_staff("operator", "circle", "341002-chengzhong", username="demo-operator")
    added = demo_operators()
    assert added == {
        "operators": 1,
        "contracts": 1,
        "staff_attached": 1,
        "tunxi_filings": 6,
        "huangshan_filings": 2,
    }
    tunxi = _statuses("341002000000")
    assert set(tunxi) == {"chengzhong", "chengdong", "chengxi", "jiangnan", "gongye", "gaoxin"}
    assert set(tunxi.values()) == {("active", "applied")}
    assert _statuses("341003000000") == {"gantang": ("active", "applied"), "xianyuan": ("draft", "filed")}
    account = db.session.get(Account, operator_account.id)
    contract = db.session.scalar(sa.select(OperatorContract))
    assert (account.operator_id, account.employment_type) == (contract.operator_id, "full_time")
    assert contract.circle_id is None and contract.fee_fen == contract.population_served * 80
    assert set(demo_operators().values()) == {0}  # a second run adds nothing
