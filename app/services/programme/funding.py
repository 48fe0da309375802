"""The funding calculator (购买服务费用): the fee per circle, operator, district and city for a year.

The plan pays per 10,000 resident people: the service fee (FUNDING_SERVICE_YUAN_PER_10K) for each
circle's covered population, the supervision fee (FUNDING_SUPERVISION_YUAN_PER_10K) for the city's,
and in all at most FUNDING_CAP_YUAN_PER_10K per 10,000 urban people (flagged, not cut, when over).
A circle's covered population is the sum of its communities' figures (populations.in_force: the
city admin's rows, else the imported column); a circle none of whose communities has a figure gets
an equal share of what its district's population leaves over (district_share). Fees run month by
month over the months of service: each month pays 1/12 of the yearly rate, to the operator that
answers for the circle on the month's 15th (programme/responsibility.py), so a contract changing
hands mid-year splits the money. Sums are kept exact (fractions of a fen) and rounded half up
once per figure; a district's fee is the sum of its circles' rounded fees, so the table adds up.
What-if: the query overrides rates, populations and coverage; nothing is written.
"""

import re
from collections import defaultdict
from datetime import date
from fractions import Fraction

import sqlalchemy as sa
from flask import current_app

from app.common.clock import local_day
from app.errors import Forbidden, ValidationFailed
from app.extensions import db
from app.models import Circle, City, Community, District, Operator, Role, ScopeKind
from app.services.people.places import describe_place, place_code
from app.services.programme.populations import in_force
from app.services.programme.responsibility import operators_of_circles

READ_ROLES = frozenset({Role.city_admin, Role.district_admin})
OVERRIDE = re.compile(r"^(city|district|community|circle):([0-9A-Za-z_-]{1,40})=([0-9]{1,10})$")
# The money follows the operator answering on this day of each month.
PAY_DAY = 15


def yuan(fen: int) -> str:
    """Say an amount of fen in yuan, "12345.67" (a string: money is never a float)."""
    sign, fen = ("-", -fen) if fen < 0 else ("", fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def round_fen(amount: Fraction) -> int:
    """Round an exact amount of fen half up."""
    return int((amount + Fraction(1, 2)) // 1)


def _money(prefix: str, fen: int) -> dict:
    return {f"{prefix}_fen": fen, f"{prefix}_yuan": yuan(fen)}


def parse_overrides(items, field: str, kinds) -> dict[tuple[str, str], int]:
    """Read what-if overrides "kind:code=number" into {(kind, code): number} (422 on `field`)."""
    found = {}
    for item in items or ():
        match = OVERRIDE.match(item.strip())
        if match is None or match.group(1) not in kinds:
            raise ValidationFailed(
                field,
                f"Write each as kind:code=number, kind one of {', '.join(kinds)}.",
                code="invalid_override",
            )
        found[(match.group(1), match.group(2))] = int(match.group(3))
    return found


def rates(args: dict) -> dict:
    """Return the rates in yuan per 10,000 people: the query's what-if, else the config's."""
    config = current_app.config
    return {
        name: args.get(name) if args.get(name) is not None else config[setting]
        for name, setting in (
            ("service_yuan_per_10k", "FUNDING_SERVICE_YUAN_PER_10K"),
            ("supervision_yuan_per_10k", "FUNDING_SUPERVISION_YUAN_PER_10K"),
            ("cap_yuan_per_10k", "FUNDING_CAP_YUAN_PER_10K"),
        )
    }


def _per_month(rate_yuan: int, population: int) -> Fraction:
    """Return one month's fee in fen: rate × population ÷ 10,000 ÷ 12."""
    return Fraction(rate_yuan * 100 * population, 10000 * 12)


def _districts(actor) -> list[District]:
    if actor.role not in READ_ROLES or actor.scope_id is None:
        raise Forbidden("role_forbidden", "Your role may not read the funding.")
    statement = sa.select(District).order_by(District.code)
    if actor.scope_kind == ScopeKind.city.value:
        return list(db.session.scalars(statement.where(District.city_id == actor.scope_id)))
    if actor.scope_kind == ScopeKind.district.value:
        return list(db.session.scalars(statement.where(District.id == actor.scope_id)))
    raise Forbidden("role_forbidden", "The funding is read over a district or the city.")


def _figure(kind: str, place, figures: dict, overrides: dict) -> dict:
    """Return a place's population, urban population and source, a what-if override first."""
    # A district is named by its code or its short code (341002), as circles' codes name it.
    for code in {place_code(kind, place), getattr(place, "short_code", None)} - {None}:
        if (kind, code) in overrides:
            return {"population": overrides[(kind, code)], "urban_population": None, "source": "what_if"}
    found = figures.get(place.id)
    if found is None:
        return {"population": None, "urban_population": None, "source": None}
    return {key: found[key] for key in ("population", "urban_population", "source")}


def calculate(actor, args: dict) -> dict:
    """Compute the fees of a year's months of service in my district or city (with any what-if)."""
    districts = _districts(actor)
    year = args.get("year") or local_day().year
    first, last = args.get("from_month") or 1, args.get("to_month") or 12
    if first > last:
        raise ValidationFailed("to_month", "The last month comes after the first.", code="invalid_period")
    what_if = parse_overrides(args.get("population"), "population", ("city", "district", "community"))
    covered_if = parse_overrides(args.get("coverage"), "coverage", ("circle",))
    rate = rates(args)
    circles = list(
        db.session.scalars(
            sa.select(Circle)
            .where(Circle.status == "active", Circle.district_id.in_([d.id for d in districts]))
            .order_by(Circle.district_id, Circle.id)
        )
    )
    covered = _coverage(circles, districts, what_if, covered_if)
    months = list(range(first, last + 1))
    circle_fen: dict[int, Fraction] = defaultdict(Fraction)
    operator_fen: dict[int | None, Fraction] = defaultdict(Fraction)
    operator_circles: dict[int | None, set] = defaultdict(set)
    ids = [c.id for c in circles]
    for month in months:
        answering = operators_of_circles(ids, date(year, month, PAY_DAY)) if ids else {}
        for circle in circles:
            fee = _per_month(rate["service_yuan_per_10k"], covered[circle.id]["population"] or 0)
            circle_fen[circle.id] += fee
            operator_fen[answering.get(circle.id)] += fee
            operator_circles[answering.get(circle.id)].add(circle.id)
    circle_rows = [
        {
            "circle": describe_place("circle", c.id),
            "district": describe_place("district", c.district_id),
            **covered[c.id],
            **_money("fee", round_fen(circle_fen[c.id])),
        }
        for c in circles
    ]
    district_rows = _district_rows(districts, circle_rows, what_if, rate, len(months))
    answer = {
        "year": year,
        "from_month": first,
        "to_month": last,
        "months": len(months),
        "rates": rate,
        "what_if": bool(what_if or covered_if or any(args.get(name) is not None for name in rate)),
        "circles": circle_rows,
        "operators": _operator_rows(operator_fen, operator_circles, circles),
        "districts": district_rows,
        "city": None,
    }
    if actor.scope_kind == ScopeKind.city.value:
        answer["city"] = _city_row(actor.scope_id, district_rows, what_if, rate, len(months))
    return answer


def _coverage(circles, districts, what_if: dict, covered_if: dict) -> dict[int, dict]:
    """Return {circle id: {population, population_source, unknown_communities}}."""
    members = db.session.execute(
        sa.select(Community.id, Community.code, Community.circle_id).where(
            Community.circle_id.in_([c.id for c in circles])
        )
    ).all()
    figures = in_force("community", [m.id for m in members])
    sums: dict[int, int] = defaultdict(int)
    known: dict[int, int] = defaultdict(int)
    unknown: dict[int, int] = defaultdict(int)
    for member in members:
        if ("community", member.code) in what_if:
            population = what_if[("community", member.code)]
        else:
            population = (figures.get(member.id) or {}).get("population")
        if population is None:
            unknown[member.circle_id] += 1
        else:
            sums[member.circle_id] += population
            known[member.circle_id] += 1
    found = {}
    for circle in circles:
        code = place_code("circle", circle)
        if ("circle", code) in covered_if:
            population, source = covered_if[("circle", code)], "what_if"
        elif known[circle.id]:
            population, source = sums[circle.id], "communities"
        else:
            population, source = None, "district_share"
        found[circle.id] = {
            "population": population,
            "population_source": source,
            "unknown_communities": unknown[circle.id],
        }
    district_figures = in_force("district", [d.id for d in districts])
    for district in districts:
        sharing = [c for c in circles if c.district_id == district.id and found[c.id]["population"] is None]
        if not sharing:
            continue
        total = _figure("district", district, district_figures, what_if)["population"] or 0
        taken = sum(found[c.id]["population"] or 0 for c in circles if c.district_id == district.id)
        left = max(total - taken, 0)
        for index, circle in enumerate(sharing):
            # An equal share each; the remainder's people go one each to the first circles.
            found[circle.id]["population"] = left // len(sharing) + (1 if index < left % len(sharing) else 0)
    return found


def _operator_rows(fees: dict, served: dict, circles) -> list[dict]:
    codes = {c.id: describe_place("circle", c.id)["code"] for c in circles}
    names = dict(
        db.session.execute(
            sa.select(Operator.id, Operator.name).where(Operator.id.in_([i for i in fees if i]))
        ).all()
    )
    rows = [
        {
            "operator": {"id": operator_id, "name": names.get(operator_id)} if operator_id else None,
            "circles": sorted(codes[c] for c in served[operator_id]),
            **_money("fee", round_fen(fee)),
        }
        for operator_id, fee in fees.items()
    ]
    # Named operators by name; the months no operator answered for last.
    return sorted(rows, key=lambda r: (r["operator"] is None, (r["operator"] or {}).get("name") or ""))


def _cap(rate: dict, figure: dict, months: int) -> int:
    urban = (
        figure["urban_population"] if figure["urban_population"] is not None else figure["population"] or 0
    )
    return round_fen(_per_month(rate["cap_yuan_per_10k"], urban) * months)


def _district_rows(districts, circle_rows, what_if: dict, rate: dict, months: int) -> list[dict]:
    figures = in_force("district", [d.id for d in districts])
    rows = []
    for district in districts:
        figure = _figure("district", district, figures, what_if)
        mine = [r for r in circle_rows if r["district"]["code"] == district.code]
        service = sum(r["fee_fen"] for r in mine)
        cap = _cap(rate, figure, months)
        rows.append(
            {
                "district": describe_place("district", district.id),
                **figure,
                "circles": len(mine),
                "covered_population": sum(r["population"] or 0 for r in mine),
                **_money("service_fee", service),
                **_money("cap", cap),
                "over_cap": service > cap,
            }
        )
    return rows


def _city_row(city_id: int, district_rows, what_if: dict, rate: dict, months: int) -> dict:
    city = db.session.get(City, city_id)
    figure = _figure("city", city, in_force("city", [city_id]), what_if)
    service = sum(r["service_fee_fen"] for r in district_rows)
    supervision = round_fen(_per_month(rate["supervision_yuan_per_10k"], figure["population"] or 0) * months)
    cap = _cap(rate, figure, months)
    return {
        "city": describe_place("city", city_id),
        **figure,
        **_money("service_fee", service),
        **_money("supervision_fee", supervision),
        **_money("total", service + supervision),
        **_money("cap", cap),
        "over_cap": service + supervision > cap,
    }
