"""Demo demonstration ranking and employer credibility.

Last year's rankings, through the real services as demo-city-admin: 屯溪区's computed (waiting
for the city), the city's computed, confirmed (the top three eligible; with too little data for
any, the first three) and published as a notice to the city's staff. Every employer whose
credibility was never computed gets it now. A second run finds the rankings and the computed rows
and adds nothing.
"""

import sqlalchemy as sa

from app.common.clock import local_day
from app.errors import Conflict
from app.extensions import db
from app.models import Account, DemonstrationRanking, Employer, EmployerCredibility
from app.services.jobs import credibility
from app.services.programme import demonstration
from app.services.programme.demonstration_reading import get_ranking

TUNXI = "341002000000"
SELECTED = 3


def _ranking(year: int, kind: str) -> DemonstrationRanking | None:
    """Return last year's ranking of 屯溪区 or of the city, if computed."""
    statement = sa.select(DemonstrationRanking).where(
        DemonstrationRanking.year == year, DemonstrationRanking.place_kind == kind
    )
    return db.session.scalars(statement.order_by(DemonstrationRanking.id)).first()


def _credibility() -> int:
    """Compute the credibility of every employer never computed; return how many."""
    computed = sa.select(EmployerCredibility.employer_id).where(EmployerCredibility.computed_at.is_not(None))
    ids = list(
        db.session.scalars(sa.select(Employer.id).where(Employer.id.not_in(computed)).order_by(Employer.id))
    )
    for employer_id in ids:
        credibility.recompute(employer_id)
    db.session.commit()
    return len(ids)


def demo_demonstration() -> dict:
    """Add what is missing; return what was added (nothing: {})."""
    added = {"rankings": 0, "published": 0, "credibility": _credibility()}
    city_admin = db.session.scalar(sa.select(Account).where(Account.username == "demo-city-admin"))
    year = local_day().year - 1
    if city_admin is None or year < demonstration.FIRST_YEAR:
        return {name: count for name, count in added.items() if count}
    if _ranking(year, "district") is None:
        demonstration.compute(city_admin, year, "district", TUNXI, None)
        added["rankings"] += 1
    city = _ranking(year, "city")
    if city is None:
        city_id = demonstration.compute(city_admin, year, "city", None, None)["id"]
        added["rankings"] += 1
        city = db.session.get(DemonstrationRanking, city_id)
    if city.status == "computed":
        try:
            demonstration.confirm(city_admin, city.id, SELECTED, None, None)
        except Conflict:  # too little data for any to be eligible: the city names the first three
            codes = [score["community"]["code"] for score in get_ranking(city_admin, city.id)["scores"]]
            demonstration.confirm(city_admin, city.id, None, codes[:SELECTED], None)
    if city.status != "published":
        demonstration.publish(city_admin, city.id, None)
        added["published"] += 1
    return {name: count for name, count in added.items() if count}
