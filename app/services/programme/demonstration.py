"""Demonstration communities (示范社区评选): the year's criteria, rankings per district and city, the list.

The city admin sets each year's criteria (weight, enabled; the catalogue's defaults until then).
A ranking scores every community of a district (its district admin or the city admin computes it)
or of the city (the city admin) on each enabled criterion: value, score 0..100, weighted score and
evidence. A criterion without data for a community is left out and the community's weights are
renormalised over those it has; one whose data covers less than MIN_COVERAGE of the weight is
ranked after the others and never selected. Recomputing replaces the scores until the city admin
confirms the list (the top N, or the communities named); a confirmed ranking is frozen, and
publishing it writes a system notice to the ranking's place.
"""

from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.common.clock import local_day
from app.errors import Conflict, Forbidden, ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    City,
    Community,
    DemonstrationCriterion,
    DemonstrationRanking,
    DemonstrationScore,
    District,
    NoticeAudience,
    RankingStatus,
    Role,
    Township,
    utcnow,
)
from app.services.notices.system import publish_system_notice
from app.services.people import audit
from app.services.programme import demonstration_criteria as criteria
from app.services.programme.demonstration_reading import (
    READ_ROLES,
    get_row,
    require,
    scores_of,
    view,
)

# A community whose data covers less than this share of the enabled weight is not selectable.
MIN_COVERAGE = 0.6
FIRST_YEAR = 2023  # the programme's first year: nothing to rank before it


# ---- criteria ----------------------------------------------------------------------------------


def _check_year(year: int) -> int:
    """Refuse a year before the programme or after this one."""
    if not FIRST_YEAR <= year <= local_day().year:
        raise ValidationFailed(
            "year", f"Rank a year from {FIRST_YEAR} to this one.", code="year_out_of_range"
        )
    return year


def criteria_of(year: int) -> list[dict]:
    """Return the year's criteria: the catalogue with the city admin's weights where set."""
    rows = {
        row.key: row
        for row in db.session.scalars(
            sa.select(DemonstrationCriterion).where(DemonstrationCriterion.year == year)
        )
    }
    return [
        {
            "key": item.key,
            "name": item.name,
            "weight": rows[item.key].weight if item.key in rows else item.weight,
            "enabled": rows[item.key].enabled if item.key in rows else True,
            "default_weight": item.weight,
        }
        for item in criteria.CATALOGUE
    ]


def list_criteria(actor: Account, year: int) -> list[dict]:
    """Return the year's criteria to an admin who ranks."""
    require(actor, READ_ROLES)
    return criteria_of(_check_year(year))


def set_criteria(actor: Account, year: int, items: list[dict], ip: str | None) -> list[dict]:
    """Set the weight and enabled flag of the year's criteria (city admin); audited."""
    require(actor, {Role.city_admin})
    _check_year(year)
    keys = [item["key"] for item in items]
    if len(set(keys)) != len(keys):
        raise ValidationFailed("criteria", "Name each criterion once.", code="criterion_repeated")
    current = {item["key"]: item for item in criteria_of(year)}
    for item in items:
        current[item["key"]].update({k: item[k] for k in ("weight", "enabled") if k in item})
    if not any(item["enabled"] and item["weight"] > 0 for item in current.values()):
        raise ValidationFailed("criteria", "Enable at least one criterion with a weight.", code="no_criteria")
    rows = {
        row.key: row
        for row in db.session.scalars(
            sa.select(DemonstrationCriterion).where(DemonstrationCriterion.year == year).with_for_update()
        )
    }
    for key, item in current.items():
        row = rows.get(key) or DemonstrationCriterion(year=year, key=key)
        row.weight, row.enabled, row.updated_by_id = float(item["weight"]), bool(item["enabled"]), actor.id
        db.session.add(row)
    audit.record(
        "demonstration.criteria",
        actor=actor,
        object_type="demonstration_criteria",
        object_id=year,
        ip=ip,
        detail={item["key"]: [item.get("weight"), item.get("enabled")] for item in items},
    )
    try:
        db.session.commit()
    except IntegrityError:  # two admins saving the year's first weights at once: the first stands
        db.session.rollback()
        raise Conflict("criteria_changed", "The criteria were saved a moment ago; reload them.") from None
    return criteria_of(year)


# ---- scope -------------------------------------------------------------------------------------


def _place(kind: str, code: str | None):
    """Return the ranking's place (a district by code, or the city)."""
    if kind == "city":
        place = db.session.scalar(sa.select(City).where(City.code == code) if code else sa.select(City))
    else:
        # A district by its 12-digit code or its short one (341002), as circles name it.
        place = db.session.scalar(
            sa.select(District).where(sa.or_(District.code == code, District.short_code == code))
        )
    if place is None:
        raise ValidationFailed("place_code", f"No {kind} {code}.", code="place_not_found")
    return place


# ---- computing ---------------------------------------------------------------------------------


def _period(year: int) -> criteria.Period:
    """Return the days a year's ranking looks at: the year, up to today."""
    return criteria.Period(date(year, 1, 1), min(date(year, 12, 31), local_day()))


def score_communities(community_ids: list[int], year: int, weights: dict[str, float]) -> list[dict]:
    """Return each community's scores and total, best first (ineligible ones after the others)."""
    period = _period(year)
    measures = {key: criteria.COMPUTE[key](community_ids, period) for key in weights}
    enabled = sum(weights.values())
    results = []
    for community_id in community_ids:
        scores, weighted_sum, weight_with_data = {}, 0.0, 0.0
        for key, weight in weights.items():
            measure = measures[key].get(community_id)
            if measure is None:
                scores[key] = {"value": None, "score": None, "weighted": None, "evidence": "无数据"}
                continue
            weight_with_data += weight
            weighted_sum += measure.score * weight
            scores[key] = {"value": measure.value, "score": measure.score, "evidence": measure.evidence}
        coverage = weight_with_data / enabled if enabled else 0.0
        total = weighted_sum / weight_with_data if weight_with_data else 0.0
        for key, weight in weights.items():
            if scores[key]["score"] is not None:
                scores[key]["weighted"] = round(scores[key]["score"] * weight / weight_with_data, 2)
        results.append(
            {
                "community_id": community_id,
                "total": round(total, 2),
                "coverage": round(coverage, 3),
                "eligible": coverage >= MIN_COVERAGE,
                "scores": scores,
            }
        )
    return results


def _communities(kind: str, place) -> dict[int, int]:
    """Return {community id: its district id} of the communities a ranking covers."""
    statement = sa.select(Community.id, Township.district_id).join(
        Township, Township.id == Community.township_id
    )
    if kind == "district":
        statement = statement.where(Township.district_id == place.id)
    return dict(db.session.execute(statement.order_by(Community.code)).all())


def compute(actor: Account, year: int, place_kind: str, place_code: str | None, ip: str | None) -> dict:
    """Compute (or recompute) the year's ranking of a district or the city; a confirmed one is frozen."""
    require(actor, READ_ROLES)
    _check_year(year)
    place = _place(place_kind, place_code)
    if actor.role == Role.district_admin and not (place_kind == "district" and place.id == actor.scope_id):
        raise Forbidden("role_forbidden", "A district admin ranks its own district's communities.")
    ranking = db.session.scalar(
        sa.select(DemonstrationRanking)
        .where(
            DemonstrationRanking.year == year,
            DemonstrationRanking.place_kind == place_kind,
            DemonstrationRanking.place_id == place.id,
        )
        .with_for_update()
    )
    if ranking is not None and ranking.status != RankingStatus.computed:
        raise Conflict("ranking_frozen", "This ranking is confirmed: its figures no longer change.")
    if ranking is None:
        ranking = DemonstrationRanking(year=year, place_kind=place_kind, place_id=place.id)
        db.session.add(ranking)
        try:
            db.session.flush()
        except IntegrityError:  # the same ranking computed twice at once: the other one wins
            db.session.rollback()
            raise Conflict("ranking_busy", "This ranking is being computed; reload it in a moment.") from None
    weights = {
        item["key"]: item["weight"] for item in criteria_of(year) if item["enabled"] and item["weight"] > 0
    }
    district_of = _communities(place_kind, place)
    results = score_communities(list(district_of), year, weights) if district_of else []
    results.sort(key=lambda r: (not r["eligible"], -r["total"], r["community_id"]))
    db.session.execute(sa.delete(DemonstrationScore).where(DemonstrationScore.ranking_id == ranking.id))
    for position, result in enumerate(results, start=1):
        db.session.add(
            DemonstrationScore(
                ranking_id=ranking.id,
                community_id=result["community_id"],
                district_id=district_of[result["community_id"]],
                position=position,
                total=result["total"],
                scores={**result["scores"], "_coverage": result["coverage"], "_eligible": result["eligible"]},
                selected=False,
            )
        )
    ranking.weights = weights
    ranking.computed_at, ranking.computed_by_id = utcnow(), actor.id
    audit.record(
        "demonstration.compute",
        actor=actor,
        object_type="demonstration_ranking",
        object_id=ranking.id,
        ip=ip,
        detail={"year": year, "place_kind": place_kind, "communities": len(results)},
    )
    db.session.commit()
    return view(ranking)


# ---- confirming and publishing -----------------------------------------------------------------


def confirm(
    actor: Account, ranking_id: int, top_n: int | None, community_codes: list[str] | None, ip
) -> dict:
    """Fix the list (the top N eligible, or the communities named) and freeze the ranking (city admin)."""
    require(actor, READ_ROLES)
    ranking = get_row(actor, ranking_id, for_update=True)
    require(actor, {Role.city_admin})
    rows = scores_of(ranking.id)
    chosen = _chosen(rows, top_n, community_codes)
    if ranking.status != RankingStatus.computed:
        if {row.community_id for row in rows if row.selected} == chosen:
            return view(ranking)  # the same confirmation again: a retry
        raise Conflict("ranking_frozen", "This ranking is confirmed already.")
    for row in rows:
        row.selected = row.community_id in chosen
    ranking.status = RankingStatus.confirmed.value
    ranking.selected_count = len(chosen)
    ranking.confirmed_by_id, ranking.confirmed_at = actor.id, utcnow()
    audit.record(
        "demonstration.confirm",
        actor=actor,
        object_type="demonstration_ranking",
        object_id=ranking.id,
        ip=ip,
        detail={"selected": sorted(chosen)},
    )
    db.session.commit()
    return view(ranking)


def _chosen(rows: list[DemonstrationScore], top_n: int | None, codes: list[str] | None) -> set[int]:
    """Return the ids of the communities selected: those named, else the top N eligible."""
    if not rows:
        raise Conflict("ranking_empty", "The ranking holds no community to select.")
    if codes:
        by_code = dict(
            db.session.execute(
                sa.select(Community.code, Community.id).where(
                    Community.id.in_([r.community_id for r in rows])
                )
            ).all()
        )
        unknown = [code for code in codes if code not in by_code]
        if unknown:
            raise ValidationFailed(
                "community_codes", f"Not in this ranking: {', '.join(unknown)}.", code="community_not_ranked"
            )
        return {by_code[code] for code in codes}
    top_n = top_n or current_app.config["DEMONSTRATION_TOP_N"]
    eligible = [row for row in rows if row.scores.get("_eligible", True)]
    if not eligible:
        raise Conflict(
            "ranking_empty", "No community has data enough to be selected; name the communities instead."
        )
    return {row.community_id for row in eligible[:top_n]}


def publish(actor: Account, ranking_id: int, ip: str | None, valid_until: date | None = None) -> dict:
    """Announce a confirmed list as a notice to its place's staff (city admin); a retry changes nothing."""
    require(actor, READ_ROLES)
    ranking = get_row(actor, ranking_id, for_update=True)
    require(actor, {Role.city_admin})
    if ranking.status == RankingStatus.published:
        return view(ranking)
    if ranking.status != RankingStatus.confirmed:
        raise Conflict("ranking_not_confirmed", "Confirm the list before publishing it.")
    place = db.session.get(City if ranking.place_kind == "city" else District, ranking.place_id)
    names = db.session.scalars(
        sa.select(Community.name)
        .join(DemonstrationScore, DemonstrationScore.community_id == Community.id)
        .where(DemonstrationScore.ranking_id == ranking.id, DemonstrationScore.selected.is_(True))
        .order_by(DemonstrationScore.position)
    ).all()
    notice = publish_system_notice(
        actor,
        place_kind=ranking.place_kind,
        place_code=place.code,
        title=f"{ranking.year}年度{place.name}就业服务示范社区名单",
        body=f"经综合评定，以下{len(names)}个社区（村）入选{ranking.year}年度就业服务示范社区："
        + "、".join(names)
        + "。",
        audience=NoticeAudience.staff.value,
        valid_until=valid_until,
        client_id=f"demonstration-{ranking.id}",
        ip=ip,
    )
    ranking.status, ranking.notice_id = RankingStatus.published.value, notice.id
    audit.record(
        "demonstration.publish",
        actor=actor,
        object_type="demonstration_ranking",
        object_id=ranking.id,
        ip=ip,
        detail={"notice_id": notice.id},
    )
    db.session.commit()
    return view(ranking)
