"""Reading demonstration rankings: who sees which, a ranking as the API shows it, its Excel rows.

The city admin reads every ranking; a district admin its own district's (any other is a 404);
every other role is refused (403 role_forbidden).
"""

import sqlalchemy as sa

from app.errors import Forbidden, NotFound
from app.extensions import db
from app.models import (
    Account,
    City,
    Community,
    DemonstrationRanking,
    DemonstrationScore,
    District,
    Role,
    ScopeKind,
)
from app.services.people import audit
from app.services.programme import demonstration_criteria as criteria

NOT_FOUND = "demonstration_ranking_not_found"
READ_ROLES = frozenset({Role.city_admin, Role.district_admin})


# ---- scope -------------------------------------------------------------------------------------


def require(actor: Account, roles) -> None:
    """Refuse a role that does not rank communities."""
    if actor.role not in roles:
        raise Forbidden("role_forbidden", "Your role does not rank demonstration communities.")


def _may_see(actor: Account, ranking: DemonstrationRanking) -> bool:
    """Tell whether the actor reads the ranking: the city admin any, a district admin its district's."""
    if actor.role == Role.city_admin:
        return True
    return (
        actor.role == Role.district_admin
        and actor.scope_kind == ScopeKind.district
        and ranking.place_kind == "district"
        and ranking.place_id == actor.scope_id
    )


def get_row(actor: Account, ranking_id: int, for_update: bool = False) -> DemonstrationRanking:
    """Return a ranking the actor reads, or 404 (never 403 for one out of place)."""
    require(actor, READ_ROLES)
    statement = sa.select(DemonstrationRanking).where(DemonstrationRanking.id == ranking_id)
    if for_update:
        statement = statement.with_for_update()
    ranking = db.session.scalar(statement)
    if ranking is None or not _may_see(actor, ranking):
        raise NotFound(NOT_FOUND, f"No demonstration ranking {ranking_id} in your place.")
    return ranking


# ---- reading -----------------------------------------------------------------------------------


def scores_of(ranking_id: int) -> list[DemonstrationScore]:
    """Return a ranking's scores in position order."""
    return list(
        db.session.scalars(
            sa.select(DemonstrationScore)
            .where(DemonstrationScore.ranking_id == ranking_id)
            .order_by(DemonstrationScore.position)
        )
    )


def _place_view(ranking: DemonstrationRanking) -> dict:
    """Return {kind, code, name} of the ranking's place."""
    place = db.session.get(City if ranking.place_kind == "city" else District, ranking.place_id)
    return {"kind": ranking.place_kind, "code": place.code, "name": place.name}


def view(ranking: DemonstrationRanking, with_scores: bool = True) -> dict:
    """Return a ranking as the API shows it (with its scores, community by community)."""
    shown = {column.key: getattr(ranking, column.key) for column in DemonstrationRanking.__table__.columns}
    shown["place"] = _place_view(ranking)
    shown["criteria"] = [
        {"key": key, "name": criteria.NAMES.get(key, key), "weight": weight}
        for key, weight in ranking.weights.items()
    ]
    if with_scores:
        rows = scores_of(ranking.id)
        communities = {
            c.id: c
            for c in db.session.scalars(
                sa.select(Community).where(Community.id.in_([r.community_id for r in rows]))
            )
        }
        shown["scores"] = [
            {
                "position": row.position,
                "community": {
                    "code": communities[row.community_id].code,
                    "name": communities[row.community_id].name,
                },
                "total": row.total,
                "selected": row.selected,
                "eligible": row.scores.get("_eligible", True),
                "coverage": row.scores.get("_coverage"),
                "criteria": [
                    {"key": key, "name": criteria.NAMES.get(key, key), **row.scores[key]}
                    for key in ranking.weights
                    if key in row.scores
                ],
            }
            for row in rows
        ]
    return shown


def get_ranking(actor: Account, ranking_id: int) -> dict:
    """Return one ranking with its scores to an admin over its place."""
    return view(get_row(actor, ranking_id))


def list_rankings(actor: Account, year: int | None) -> list[dict]:
    """Return the rankings the admin reads (a district admin its district's), newest year first."""
    require(actor, READ_ROLES)
    statement = sa.select(DemonstrationRanking).order_by(
        DemonstrationRanking.year.desc(), DemonstrationRanking.place_kind, DemonstrationRanking.place_id
    )
    if year is not None:
        statement = statement.where(DemonstrationRanking.year == year)
    if actor.role != Role.city_admin:
        statement = statement.where(
            DemonstrationRanking.place_kind == "district", DemonstrationRanking.place_id == actor.scope_id
        )
    return [view(ranking, with_scores=False) for ranking in db.session.scalars(statement)]


def export_rows(actor: Account, ranking_id: int, ip: str | None) -> tuple[dict, list[str], list[list]]:
    """Return (ranking, headers, rows) of a ranking's Excel export; audited."""
    shown = get_ranking(actor, ranking_id)
    keys = [item["key"] for item in shown["criteria"]]
    headers = ["名次", "社区/村代码", "社区/村", "总分", "入选", "数据覆盖"]
    for item in shown["criteria"]:
        headers += [f"{item['name']}（权重{item['weight']:g}）得分", f"{item['name']}依据"]
    rows = []
    for score in shown["scores"]:
        by_key = {item["key"]: item for item in score["criteria"]}
        row = [
            score["position"],
            score["community"]["code"],
            score["community"]["name"],
            score["total"],
            "是" if score["selected"] else "否",
            f"{round((score['coverage'] or 0) * 100)}%",
        ]
        for key in keys:
            item = by_key.get(key, {})
            row += [item.get("score"), item.get("evidence")]
        rows.append(row)
    audit.commit(
        "demonstration.export",
        actor=actor,
        object_type="demonstration_ranking",
        object_id=ranking_id,
        ip=ip,
        detail={"rows": len(rows)},
    )
    return shown, headers, rows
