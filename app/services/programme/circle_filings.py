"""Circle filings (报市局备案): a district defines a circle and files it; the city accepts or returns it.

draft → filed → accepted → applied, with filed → returned → filed (the city's reason; the district
edits and files again) and draft/filed/returned → withdrawn. Only the district's admin writes and
files its circles; only the city admin decides (never the district level itself). A new circle
gets its row (status draft) when first defined, so its id is stable from then on; a filing of an
existing circle changes it only once accepted and applied (memberships.py). What a filing may
cover is checked on every save and again when filed and accepted (circle_coverage.py).
"""

import re

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.common.clock import local_day
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    Circle,
    CircleFiling,
    CircleStatus,
    Community,
    District,
    FilingStatus,
    Operator,
    Role,
    ScopeKind,
    Station,
    Township,
    utcnow,
)
from app.services.people import audit
from app.services.programme import circle_coverage as coverage
from app.services.programme import memberships
from app.services.programme.operators import check_active, require_role
from app.services.results import Page, paginate

F = FilingStatus
READ_ROLES = frozenset({Role.city_admin, Role.district_admin, Role.supervisor, Role.operator})
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
EDITABLE = (F.draft.value, F.returned.value)
PENDING = coverage.PENDING


def read_clause(actor: Account):
    """Return the WHERE clause of the filings the actor reads: its district's, or its circle's."""
    if actor.role not in READ_ROLES or actor.scope_kind is None or actor.scope_id is None:
        return sa.false()
    kind = ScopeKind(actor.scope_kind)
    if kind is ScopeKind.city:
        return sa.true()
    if kind is ScopeKind.district:
        return CircleFiling.district_id == actor.scope_id
    if kind is ScopeKind.circle:
        return CircleFiling.circle_id == actor.scope_id
    return sa.false()


def get_readable(actor: Account, filing_id: int, for_update: bool = False) -> CircleFiling:
    """Load a filing the actor reads, or 404 circle_filing_not_found."""
    require_role(actor, READ_ROLES, "read circle filings")
    statement = sa.select(CircleFiling).where(CircleFiling.id == filing_id, read_clause(actor))
    if for_update:
        statement = statement.with_for_update()
    filing = db.session.scalar(statement)
    if filing is None:
        raise NotFound("circle_filing_not_found", f"No circle filing {filing_id} that you may see.")
    return filing


def _names(model, ids) -> list[dict]:
    """Return [{id, code, name}] of places by id, in the order given."""
    if not ids:
        return []
    rows = {row.id: row for row in db.session.scalars(sa.select(model).where(model.id.in_(ids)))}
    return [{"id": i, "code": getattr(rows[i], "code", None), "name": rows[i].name} for i in ids if i in rows]


def view(filing: CircleFiling) -> dict:
    """Return a filing as the API shows it, its places named."""
    circle = db.session.get(Circle, filing.circle_id)
    district = db.session.get(District, filing.district_id)
    operator = db.session.get(Operator, filing.operator_id) if filing.operator_id else None
    return {
        "id": filing.id,
        "status": filing.status,
        "district": {"code": district.code, "name": district.name},
        "circle": {
            "id": circle.id,
            "code": f"{district.short_code}-{circle.key}",
            "name": circle.name,
            "status": circle.status,
        },
        "name": filing.name,
        "centre_lat": filing.centre_lat,
        "centre_lng": filing.centre_lng,
        "operator": {"id": operator.id, "name": operator.name} if operator else None,
        "townships": _names(Township, filing.township_ids),
        "communities": _names(Community, filing.community_ids),
        "stations": _names(Station, filing.station_ids),
        "effective_from": filing.effective_from,
        "note": filing.note,
        "created_by_id": filing.created_by_id,
        "filed_at": filing.filed_at,
        "decided_by_id": filing.decided_by_id,
        "decided_at": filing.decided_at,
        "reason": filing.reason,
        "applied_at": filing.applied_at,
        "created_at": filing.created_at,
    }


def _apply_values(filing: CircleFiling, values: dict) -> None:
    """Set the district's fields on a filing, each checked against the filing's district."""
    for name in ("name", "centre_lat", "centre_lng", "effective_from", "note"):
        if name in values:
            setattr(filing, name, values[name].strip() if isinstance(values[name], str) else values[name])
    if "township_codes" in values:
        filing.township_ids = coverage.ids_by_code(
            Township, values["township_codes"], filing.district_id, "township_codes"
        )
    if "community_codes" in values:
        filing.community_ids = coverage.ids_by_code(
            Community, values["community_codes"], filing.district_id, "community_codes"
        )
    if "station_ids" in values:
        filing.station_ids = coverage.station_ids(values["station_ids"], filing.district_id)
    if "operator_id" in values:
        filing.operator_id = (
            check_active(db.session.get(Operator, values["operator_id"])).id
            if values["operator_id"]
            else None
        )
    if (filing.centre_lat is None) != (filing.centre_lng is None):
        raise ValidationFailed(
            "centre_lat", "Give both centre_lat and centre_lng, or neither.", code="point_incomplete"
        )
    coverage.check_coverage(filing)


def _own_district(actor: Account) -> District:
    """Return the district admin's district (the only level that defines circles)."""
    require_role(actor, {Role.district_admin}, "define circles")
    district = (
        db.session.get(District, actor.scope_id) if actor.scope_kind == ScopeKind.district.value else None
    )
    if district is None:
        raise Forbidden("role_forbidden", "A district admin defines its own district's circles.")
    return district


def _by_client_id(client_id: str | None) -> CircleFiling | None:
    if not client_id:
        return None
    return db.session.scalar(sa.select(CircleFiling).where(CircleFiling.client_id == client_id))


def _audit(action: str, actor: Account | None, filing: CircleFiling, ip: str | None, **detail) -> None:
    audit.record(
        action,
        actor=actor,
        actor_label=None if actor else "system",
        object_type="circle_filing",
        object_id=filing.id,
        ip=ip,
        detail={"status": filing.status, "circle_id": filing.circle_id, **detail},
    )


def create_filing(actor: Account, values: dict, ip: str | None) -> tuple[dict, bool]:
    """Define a circle of my district (new, by key, or an existing one by code) as a draft filing.

    A new circle's row is created at once (status draft), so its id is stable. One open filing
    per circle at a time (409 filing_open). A retry with the same client_id returns the first.
    """
    district = _own_district(actor)
    existing = _by_client_id(values.get("client_id"))
    if existing is not None:
        if existing.district_id != district.id:
            raise Conflict("client_id_in_use", "This client_id was used for another filing.", "client_id")
        return view(existing), False
    if values.get("circle"):
        short_code, _, key = values["circle"].partition("-")
        circle = db.session.scalar(
            sa.select(Circle).where(Circle.district_id == district.id, Circle.key == key)
        )
        if circle is None or short_code != district.short_code:
            raise ValidationFailed(
                "circle", "No circle of your district with this code.", code="unknown_place"
            )
        open_one = db.session.scalar(
            sa.select(CircleFiling.id).where(
                CircleFiling.circle_id == circle.id, CircleFiling.status.in_((*EDITABLE, *PENDING))
            )
        )
        if open_one is not None:
            raise Conflict(
                "filing_open", f"The circle has an open filing ({open_one}): edit that one.", "circle"
            )
    else:
        key = (values.get("key") or "").strip().lower()
        if not KEY_PATTERN.match(key):
            raise ValidationFailed(
                "key",
                "A new circle's key: 2–32 of a-z, 0-9 or '-', starting with a letter.",
                code="invalid_key",
            )
        if db.session.scalar(
            sa.select(Circle.id).where(Circle.district_id == district.id, Circle.key == key)
        ):
            raise Conflict("circle_key_taken", "Your district has a circle with this key.", "key")
        circle = Circle(
            district_id=district.id, key=key, name=values["name"].strip(), status=CircleStatus.draft.value
        )
        db.session.add(circle)
        db.session.flush()
    filing = CircleFiling(
        district_id=district.id,
        circle_id=circle.id,
        status=F.draft.value,
        name=values["name"].strip(),
        created_by_id=actor.id,
        client_id=values.get("client_id"),
        township_ids=[],
        community_ids=[],
        station_ids=[],
    )
    db.session.add(filing)
    _apply_values(filing, {k: v for k, v in values.items() if k not in ("circle", "key", "client_id")})
    try:
        db.session.flush()
    except IntegrityError:  # the same retry racing its first try
        db.session.rollback()
        again = _by_client_id(values.get("client_id"))
        if again is None:
            raise
        return view(again), False
    _audit("circle_filing.create", actor, filing, ip)
    db.session.commit()
    return view(filing), True


def _own_editable(actor: Account, filing_id: int) -> CircleFiling:
    """Return my district's draft or returned filing, locked (409 filing_status_conflict else)."""
    _own_district(actor)
    filing = get_readable(actor, filing_id, for_update=True)
    if filing.status not in EDITABLE:
        raise Conflict(
            "filing_status_conflict", f"Only a draft or returned filing is changed; this is {filing.status}."
        )
    return filing


def edit_filing(actor: Account, filing_id: int, values: dict, ip: str | None) -> dict:
    """Change my district's draft or returned filing."""
    filing = _own_editable(actor, filing_id)
    _apply_values(filing, values)
    _audit("circle_filing.edit", actor, filing, ip, fields=sorted(values))
    db.session.commit()
    return view(filing)


def file_filing(actor: Account, filing_id: int, ip: str | None, note: str | None = None) -> dict:
    """File my district's draft or returned filing with the city (报备): complete and from today on."""
    filing = _own_editable(actor, filing_id)
    if not coverage.covered_communities(filing):
        raise ValidationFailed(
            "community_codes", "A circle covers at least one community.", code="filing_empty"
        )
    if filing.effective_from is None:
        raise ValidationFailed(
            "effective_from", "Say from which day it takes effect.", code="effective_from_required"
        )
    if filing.effective_from < local_day():
        raise ValidationFailed(
            "effective_from",
            "A filing takes effect today or later, not in the past.",
            code="effective_from_past",
        )
    coverage.check_coverage(filing)
    filing.status = F.filed.value
    filing.filed_by_id = actor.id
    filing.filed_at = utcnow()
    filing.reason = None
    if note:
        filing.note = note.strip()[:255] or filing.note
    _audit("circle_filing.file", actor, filing, ip)
    db.session.commit()
    return view(filing)


def withdraw_filing(actor: Account, filing_id: int, ip: str | None, note: str | None = None) -> dict:
    """Take my district's filing back before the city decided (draft, filed or returned)."""
    _own_district(actor)
    filing = get_readable(actor, filing_id, for_update=True)
    if filing.status not in (*EDITABLE, F.filed.value):
        raise Conflict(
            "filing_status_conflict",
            f"Only a filing the city has not decided is withdrawn; this is {filing.status}.",
        )
    filing.status = F.withdrawn.value
    _audit("circle_filing.withdraw", actor, filing, ip, note=(note or None) and note[:200])
    db.session.commit()
    return view(filing)


def _filed(actor: Account, filing_id: int) -> CircleFiling:
    """Return a filing waiting for the city, locked; only the city admin decides."""
    require_role(actor, {Role.city_admin}, "decide circle filings")
    filing = get_readable(actor, filing_id, for_update=True)
    if filing.status != F.filed.value:
        raise Conflict(
            "filing_status_conflict", f"Only a filed circle is accepted or returned; this is {filing.status}."
        )
    filing.decided_by_id = actor.id
    filing.decided_at = utcnow()
    return filing


def accept_filing(actor: Account, filing_id: int, ip: str | None, note: str | None = None) -> dict:
    """Accept a filed circle (备案); one due today or earlier takes effect at once."""
    filing = _filed(actor, filing_id)
    # Accepted meanwhile by another circle: a community may still be claimed twice only if the
    # district filed both before either was decided; the first accepted wins, the second waits.
    coverage.check_coverage(filing)
    filing.status = F.accepted.value
    _audit("circle_filing.accept", actor, filing, ip, note=(note or None) and note[:200])
    if filing.effective_from <= local_day():
        memberships.apply_filing(filing, local_day())
    db.session.commit()
    return view(filing)


def return_filing(actor: Account, filing_id: int, reason: str, ip: str | None) -> dict:
    """Return a filed circle to its district with the reason (the district edits and files again)."""
    filing = _filed(actor, filing_id)
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= 200:
        raise ValidationFailed("reason", "Give the reason (2–200 characters).", code="reason_required")
    filing.status = F.returned.value
    filing.reason = reason
    _audit("circle_filing.return", actor, filing, ip, reason=reason)
    db.session.commit()
    return view(filing)


def get_filing(actor: Account, filing_id: int) -> dict:
    """Return one filing the actor reads."""
    return view(get_readable(actor, filing_id))


def list_filings(actor: Account, args: dict) -> Page:
    """List the filings the actor reads, newest first; ?status=, ?district= (code)."""
    require_role(actor, READ_ROLES, "read circle filings")
    statement = sa.select(CircleFiling).where(read_clause(actor))
    if args.get("status"):
        statement = statement.where(CircleFiling.status == args["status"])
    if args.get("district"):
        statement = statement.join(District, District.id == CircleFiling.district_id).where(
            District.code == args["district"]
        )
    page = paginate(statement, args["page"], args["per_page"], order_by=(CircleFiling.id.desc(),))
    return Page([view(f) for f in page.items], page.page, page.per_page, page.total)
