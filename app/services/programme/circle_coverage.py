"""What a circle filing covers, checked: places of its district, each community claimed once.

Checked on every save of a filing and again when it is filed and accepted: townships,
communities and stations of the filing's district; a place listed once (a community not beside
its whole township); a community covered by no other circle's filing still to take effect.
"""

import sqlalchemy as sa

from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.models import CircleFiling, Community, FilingStatus, Station, Township

# Filings still to take effect: their communities are spoken for.
PENDING = (FilingStatus.filed.value, FilingStatus.accepted.value)


def ids_by_code(model, codes, district_id: int, field: str) -> list[int]:
    """Resolve codes of the filing's district to ids (422 unknown_place / place_out_of_district)."""
    if not codes:
        return []
    if len(set(codes)) != len(codes):
        raise ValidationFailed(field, "A place is listed twice.", code="place_listed_twice")
    rows = {row.code: row for row in db.session.scalars(sa.select(model).where(model.code.in_(codes)))}
    ids = []
    for code in codes:
        row = rows.get(code)
        if row is None:
            raise ValidationFailed(field, f"No place with code {code}.", code="unknown_place")
        district = row.district_id if model is Township else row.township.district_id
        if district != district_id:
            raise ValidationFailed(field, f"{code} is not of this district.", code="place_out_of_district")
        ids.append(row.id)
    return ids


def station_ids(ids, district_id: int) -> list[int]:
    """Check the stations are of the filing's district (422 place_out_of_district)."""
    if not ids:
        return []
    if len(set(ids)) != len(ids):
        raise ValidationFailed("station_ids", "A station is listed twice.", code="place_listed_twice")
    found = dict(
        db.session.execute(sa.select(Station.id, Station.district_id).where(Station.id.in_(ids))).all()
    )
    for station_id in ids:
        if found.get(station_id) != district_id:
            raise ValidationFailed(
                "station_ids", f"Station {station_id} is not of this district.", code="place_out_of_district"
            )
    return list(ids)


def covered_communities(filing: CircleFiling) -> set[int]:
    """Return the ids of the communities a filing covers: its townships' and those named."""
    ids = set(filing.community_ids or [])
    if filing.township_ids:
        ids |= set(
            db.session.scalars(sa.select(Community.id).where(Community.township_id.in_(filing.township_ids)))
        )
    return ids


def check_coverage(filing: CircleFiling) -> None:
    """Refuse a community claimed twice in the filing, or by another circle's open filing (409)."""
    named = set(filing.community_ids or [])
    if named and filing.township_ids:
        inside = db.session.scalar(
            sa.select(Community.code).where(
                Community.id.in_(named), Community.township_id.in_(filing.township_ids)
            )
        )
        if inside is not None:
            raise ValidationFailed(
                "community_codes", f"{inside} is already covered by its township.", code="place_listed_twice"
            )
    mine = covered_communities(filing)
    others = db.session.scalars(
        sa.select(CircleFiling).where(
            CircleFiling.district_id == filing.district_id,
            CircleFiling.circle_id != filing.circle_id,
            CircleFiling.status.in_(PENDING),
        )
    ).all()
    for other in others:
        shared = mine & covered_communities(other)
        if shared:
            code = db.session.scalar(sa.select(Community.code).where(Community.id == min(shared)))
            raise Conflict(
                "community_in_two_circles",
                f"Community {code} is claimed by the open filing {other.id} of another circle.",
                "community_codes",
            )
