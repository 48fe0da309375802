"""Grid work: assigning communities, the checklist as a walking route, progress, offline visit batches."""

import math
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.auth import get_in_scope, in_scope
from app.errors import Forbidden, NotFound, ValidationFailed, validation_fields
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    Community,
    GridAssignment,
    Household,
    KeyGroup,
    Need,
    Resident,
    Role,
    StatusChange,
    StatusSource,
    Visit,
    VisitOutcome,
    ZeroEmploymentCase,
    utcnow,
)
from app.services import audit, zero_employment
from app.services.accounts import get_staff
from app.services.clock import local_day, month_end, month_start, quarter_start
from app.services.geo import check_point, distance_m, planar_sq_distance
from app.services.households import visible
from app.services.places import community_by_code, place_columns
from app.services.residents import record_status, set_key_groups

# Who assigns grid workers: operators and the admins above them (the plan: the operator runs the circle).
ASSIGN_ROLES = frozenset({Role.operator, Role.township_admin, Role.district_admin, Role.city_admin})
# Who records visits: grid workers, and operators who visit themselves.
VISIT_ROLES = frozenset({Role.grid_worker, Role.operator})
CHECKLIST_MAX = 200
# The route is planned among at most this many unmet households nearest the start: a
# nearest-neighbour walk of k stops stays among the few k nearest, so 8 per stop (at least
# 400) leaves the route as it would be among all of them, and reading 2,000 rows through
# PyMySQL was most of the checklist's time. Without a start, the lowest ids, up to the maximum.
CHECKLIST_CANDIDATES = 5000
CHECKLIST_CANDIDATES_PER_STOP, CHECKLIST_CANDIDATES_MIN = 8, 400
# What a checklist shows of a member (masked hints, never the ciphertexts): a stop's whole
# resident rows took PyMySQL longer to decode than the rest of the answer.
MEMBER_COLUMNS = (
    Resident.household_id,
    Resident.name,
    Resident.id_number_hint,
    Resident.phone_hint,
    Resident.gender,
    Resident.birth_date,
    Resident.is_household_head,
    Resident.employment_status,
)
# Open follow-ups listed with the checklist, oldest first.
FOLLOW_UPS_MAX = 200


# ---- assignment -----------------------------------------------------------------------------


def _grid_worker(actor: Account, account_id: int) -> Account:
    """Return a grid worker the actor manages (see accounts.get_staff), or 404."""
    worker = get_staff(actor, account_id)
    if worker.role != Role.grid_worker:
        raise ValidationFailed("account_id", "This account is not a grid worker.", code="not_a_grid_worker")
    return worker


def communities_of(account_id: int) -> list[Community]:
    """Return the communities assigned to a grid worker, by code."""
    return list(
        db.session.scalars(
            sa.select(Community)
            .join(GridAssignment, GridAssignment.community_id == Community.id)
            .where(GridAssignment.account_id == account_id)
            .order_by(Community.code)
        )
    )


def set_communities(
    actor: Account, account_id: int, codes: list[str], ip: str | None = None
) -> list[Community]:
    """Make a grid worker's communities exactly `codes`, each inside the actor's and the worker's place."""
    if actor.role not in ASSIGN_ROLES:
        raise Forbidden("role_forbidden", "Your role may not assign grid workers.")
    worker = _grid_worker(actor, account_id)
    wanted = []
    for code in dict.fromkeys(codes):
        community = community_by_code(code, "community_codes")
        columns = place_columns(community)
        for who, label in ((actor, "your area"), (worker, "the grid worker's area")):
            if not in_scope(columns, who):
                raise ValidationFailed(
                    "community_codes", f"Community {code} is outside {label}.", code="community_out_of_scope"
                )
        wanted.append(community)
    db.session.execute(sa.delete(GridAssignment).where(GridAssignment.account_id == worker.id))
    for community in wanted:
        db.session.add(
            GridAssignment(account_id=worker.id, community_id=community.id, assigned_by_id=actor.id)
        )
    db.session.flush()
    # Open cases follow the assignment: those of communities the worker left go to whoever
    # works there now, and those nobody (working there) had go to this worker.
    for case in db.session.scalars(
        sa.select(ZeroEmploymentCase).where(
            ZeroEmploymentCase.cleared_at.is_(None),
            sa.or_(
                ZeroEmploymentCase.assigned_to_id == worker.id,
                ZeroEmploymentCase.community_id.in_([community.id for community in wanted]),
            ),
        )
    ):
        holders = set(
            db.session.scalars(
                sa.select(GridAssignment.account_id).where(GridAssignment.community_id == case.community_id)
            )
        )
        if case.assigned_to_id not in holders:
            case.assigned_to_id = zero_employment.grid_worker_of(case.community_id)
    # Assignments decide who sees residents' data: audited like staff changes.
    audit.record(
        "grid.assign",
        actor=actor,
        object_type="account",
        object_id=worker.id,
        ip=ip,
        detail={"communities": [community.code for community in wanted]},
    )
    db.session.commit()
    return communities_of(worker.id)


def get_communities(actor: Account, account_id: int) -> list[Community]:
    """Return a grid worker's communities (to the worker, and to staff who manage them)."""
    if account_id == actor.id and actor.role == Role.grid_worker:
        return communities_of(actor.id)
    return communities_of(_grid_worker(actor, account_id).id)


# ---- checklist ------------------------------------------------------------------------------


def _met_this_quarter(today: date):
    return sa.select(Visit.household_id).where(
        Visit.outcome == VisitOutcome.met, Visit.visit_day >= quarter_start(today), Visit.visit_day <= today
    )


class _Cells:
    """Points bucketed in square cells, for repeated "nearest point, then remove it" queries.

    Only the rings of cells around the query are searched, so a route of k stops among n points
    costs about k·(points per few cells) instead of k·n comparisons.
    """

    def __init__(self, points: list[tuple], size: float):
        """Bucket (y, x, id, item) points into cells `size` wide."""
        self.size = size
        self.cells: dict[tuple[int, int], list[tuple]] = {}
        for point in points:
            self.cells.setdefault(self._cell(point[0], point[1]), []).append(point)
        rows = [i for i, _ in self.cells]
        columns = [j for _, j in self.cells]
        self.bounds = (min(rows), max(rows), min(columns), max(columns))

    def _cell(self, y: float, x: float) -> tuple[int, int]:
        return math.floor(y / self.size), math.floor(x / self.size)

    def _ring(self, i: int, j: int, r: int):
        """Yield the cells inside the bounds whose Chebyshev distance from (i, j) is exactly r."""
        low_i, high_i, low_j, high_j = self.bounds
        if r == 0:
            yield i, j
            return
        # Clipped to the bounds: a start far outside the points (or points crowded into a
        # few tiny cells) must not walk millions of empty cells.
        for row in (i - r, i + r):
            if low_i <= row <= high_i:
                for column in range(max(j - r, low_j), min(j + r, high_j) + 1):
                    yield row, column
        for column in (j - r, j + r):
            if low_j <= column <= high_j:
                for row in range(max(i - r + 1, low_i), min(i + r - 1, high_i) + 1):
                    yield row, column

    def pop_nearest(self, y0: float, x0: float) -> tuple:
        """Remove and return the point nearest (y0, x0); ties go to the lower id."""
        i, j = self._cell(y0, x0)
        low_i, high_i, low_j, high_j = self.bounds
        first = max(low_i - i, i - high_i, low_j - j, j - high_j, 0)  # rings before it are empty
        last = max(abs(i - low_i), abs(i - high_i), abs(j - low_j), abs(j - high_j))
        best_key, best_cell, best_index = None, None, 0
        for r in range(first, last + 1):
            for cell in self._ring(i, j, r):
                for index, (y, x, ident, _) in enumerate(self.cells.get(cell, ())):
                    key = ((y - y0) ** 2 + (x - x0) ** 2, ident)
                    if best_key is None or key < best_key:
                        best_key, best_cell, best_index = key, cell, index
            # Every cell beyond ring r lies at least r cells away: nothing there can be nearer.
            if best_key is not None and best_key[0] < (r * self.size) ** 2:
                break
        return self.cells[best_cell].pop(best_index)


def walking_order(households: list, lat: float | None, lng: float | None, limit: int) -> list:
    """Order households as a walk: from the start, always the nearest one not yet on the route.

    Nearest-neighbour order; takes anything with id, lat, lng and address. Distances are
    flat-earth at the start's latitude (exact enough across a community, and cheap: the
    points sit in cells of about two households each, and each step searches the cells
    around it); ties go to the lower id. Households without a location come last, by address.
    Without a start, the walk starts at the household with the lowest id.
    """
    located = [h for h in households if h.lat is not None and h.lng is not None]
    unlocated = sorted(
        (h for h in households if h.lat is None or h.lng is None), key=lambda h: (h.address or "", h.id)
    )
    if lat is None or lng is None:
        if not located:
            return [(h, None) for h in unlocated[:limit]]
        first = min(located, key=lambda h: h.id)
        lat, lng = first.lat, first.lng
    scale = math.cos(math.radians(lat))
    route, here = [], (lat, lng)
    if located:
        points = [(h.lat, h.lng * scale, h.id, h) for h in located]
        span = max(
            max(p[0] for p in points) - min(p[0] for p in points),
            max(p[1] for p in points) - min(p[1] for p in points),
        )
        cells = _Cells(points, max(span, 1e-9) / max(1.0, math.sqrt(len(points) / 2)))
        for _ in range(min(limit, len(points))):
            stop = cells.pop_nearest(here[0], here[1] * scale)[3]
            route.append((stop, round(distance_m(here[0], here[1], stop.lat, stop.lng), 1)))
            here = (stop.lat, stop.lng)
    route += [(h, None) for h in unlocated[: max(0, limit - len(route))]]
    return route


def checklist(actor: Account, lat: float | None, lng: float | None, limit: int) -> dict:
    """Return the worker's households not yet met this quarter as a walking route, and open follow-ups.

    The route is planned on light rows (id, location, address); only its stops are loaded
    with their members.
    """
    check_point(lat, lng)
    today = local_day()
    unmet = visible(sa.select(Household.id), Household, actor).where(
        Household.id.not_in(_met_this_quarter(today))
    )
    remaining = db.session.scalar(sa.select(sa.func.count()).select_from(unmet.subquery()))
    # The address orders only households without a location: not fetched for the others.
    unlocated = sa.or_(Household.lat.is_(None), Household.lng.is_(None))
    address = sa.case((unlocated, Household.address), else_=sa.null()).label("address")
    candidates = visible(
        sa.select(Household.id, Household.lat, Household.lng, address), Household, actor
    ).where(Household.id.not_in(_met_this_quarter(today)))
    # An operator of a district may have 100,000 unmet households: the route is planned among
    # the nearest few (unlocated ones last), which is where the walk goes anyway.
    read = CHECKLIST_CANDIDATES
    if lat is not None:
        candidates = candidates.order_by(
            sa.case((Household.lat.is_(None), 1), else_=0),
            planar_sq_distance(Household.lat, Household.lng, lat, lng),
        )
        read = min(read, max(CHECKLIST_CANDIDATES_MIN, CHECKLIST_CANDIDATES_PER_STOP * limit))
    pending = db.session.execute(candidates.order_by(Household.id).limit(read)).all()
    route = walking_order(pending, lat, lng, min(limit, CHECKLIST_MAX))
    ids = [row.id for row, _ in route]
    loaded = {
        household.id: household
        for household in db.session.scalars(
            sa.select(Household)
            .where(Household.id.in_(ids))
            .options(
                selectinload(Household.members)
                .load_only(*MEMBER_COLUMNS)
                .selectinload(Resident.key_group_rows)
            )
        )
    }
    last = _last_visits(ids)
    needs = list(
        db.session.scalars(
            sa.select(Need)
            .where(
                Need.closed_at.is_(None),
                Need.household_id.in_(visible(sa.select(Household.id), Household, actor)),
            )
            .order_by(Need.created_at, Need.id)
            .limit(FOLLOW_UPS_MAX)
        )
    )
    people = (
        {
            resident.id: resident
            for resident in db.session.scalars(
                sa.select(Resident).where(Resident.id.in_({n.resident_id for n in needs}))
            )
        }
        if needs
        else {}
    )
    return {
        "quarter_start": quarter_start(today),
        "remaining": remaining,
        "items": [
            {"household": loaded[row.id], "distance_m": metres, "last_visit": last.get(row.id)}
            for row, metres in route
        ],
        "follow_ups": [{"need": need, "resident": people.get(need.resident_id)} for need in needs],
    }


def _last_visits(household_ids: list[int]) -> dict[int, Visit]:
    """Return the latest visit of each household, in one query."""
    if not household_ids:
        return {}
    latest = (
        sa.select(Visit.household_id, sa.func.max(Visit.visited_at).label("at"))
        .where(Visit.household_id.in_(household_ids))
        .group_by(Visit.household_id)
        .subquery()
    )
    visits = db.session.scalars(
        sa.select(Visit).join(
            latest, sa.and_(Visit.household_id == latest.c.household_id, Visit.visited_at == latest.c.at)
        )
    )
    return {visit.household_id: visit for visit in visits}


def close_need(actor: Account, need_id: int) -> Need:
    """Close a follow-up (it was dealt with); closing twice is harmless."""
    if actor.role == Role.supervisor:
        raise Forbidden("role_forbidden", "Supervisors watch; they do not close follow-ups.")
    need = db.session.scalar(
        sa.select(Need).where(
            Need.id == need_id, Need.household_id.in_(visible(sa.select(Household.id), Household, actor))
        )
    )
    if need is None:
        raise NotFound("need_not_found", f"No follow-up {need_id} in your area.")
    if need.closed_at is None:
        need.closed_at, need.closed_by_id = utcnow(), actor.id
        db.session.commit()
    return need


# ---- progress -------------------------------------------------------------------------------


def progress(actor: Account, as_of: date | None = None) -> dict:
    """Return this month's visit days against the target (pro-rated) and this quarter's coverage."""
    today = as_of or local_day()
    first, last = month_start(today), month_end(today)
    visit_days = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Visit.visit_day))).where(
            Visit.worker_id == actor.id, Visit.visit_day.between(first, today)
        )
    )
    target = current_app.config["VISIT_DAYS_TARGET"]
    # Pro-rated: by day d of an n-day month, floor(target · d / n) visit days are due.
    expected = target * today.day // last.day
    quarter = quarter_start(today)
    return {
        "as_of": today,
        "month": {
            "visit_days": visit_days,
            "target": target,
            "expected_by_now": expected,
            "on_track": visit_days >= expected,
        },
        "quarter": {"start": quarter, "communities": _coverage(actor, quarter, today)},
    }


def _coverage(actor: Account, start: date, end: date) -> list[dict]:
    """Per community the worker works on: households, those met this quarter, and attempts."""
    households = visible(sa.select(Household.community_id, sa.func.count()), Household, actor).group_by(
        Household.community_id
    )
    totals = dict(db.session.execute(households).all())
    if actor.role == Role.grid_worker:  # an assigned community without households shows as 0 of 0
        for community in communities_of(actor.id):
            totals.setdefault(community.id, 0)
    in_window = sa.and_(Visit.visit_day.between(start, end), Visit.community_id.in_(list(totals)))
    met = dict(
        db.session.execute(
            sa.select(Visit.community_id, sa.func.count(sa.distinct(Visit.household_id)))
            .where(in_window, Visit.outcome == VisitOutcome.met)
            .group_by(Visit.community_id)
        ).all()
    )
    attempts = {}
    for community_id, outcome, count in db.session.execute(
        sa.select(Visit.community_id, Visit.outcome, sa.func.count())
        .where(in_window, Visit.outcome.in_([VisitOutcome.not_home, VisitOutcome.refused]))
        .group_by(Visit.community_id, Visit.outcome)
    ):
        attempts.setdefault(community_id, {})[outcome] = count
    names = {c.id: c for c in db.session.scalars(sa.select(Community).where(Community.id.in_(list(totals))))}
    rows = []
    for community_id in sorted(totals, key=lambda i: names[i].code if i in names else ""):
        total, done = totals[community_id], met.get(community_id, 0)
        rows.append(
            {
                "community": {"code": names[community_id].code, "name": names[community_id].name}
                if community_id in names
                else None,
                "households": total,
                "met": done,
                "coverage": round(done / total, 4) if total else 0.0,
                "target": 1.0,
                "not_home": attempts.get(community_id, {}).get(VisitOutcome.not_home, 0),
                "refused": attempts.get(community_id, {}).get(VisitOutcome.refused, 0),
            }
        )
    return rows


# ---- visits ---------------------------------------------------------------------------------


def record_visits(actor: Account, items: list, schema) -> list[dict]:
    """Apply a batch of visits from a phone's offline queue, each once and on its own.

    Each item is answered applied, duplicate (its client_id was applied before) or rejected
    with the reason; a rejected item never undoes the others, because each applied item is
    committed by itself.
    """
    if actor.role not in VISIT_ROLES:
        raise Forbidden("role_forbidden", "Your role may not record visits.")
    if len(items) > current_app.config["VISIT_BATCH_MAX"]:
        raise ValidationFailed(
            "visits",
            f"Send at most {current_app.config['VISIT_BATCH_MAX']} visits at a time.",
            code="batch_too_large",
        )
    results = []
    for index, raw in enumerate(items):
        client_id = raw.get("client_id") if isinstance(raw, dict) else None
        try:
            # The client_id exactly as sent (ids are compared case-blind), for the phone to match.
            results.append({"index": index, **_one_visit(actor, raw, schema), "client_id": client_id})
        except ValidationError as error:
            db.session.rollback()
            fields = validation_fields({"messages": {"json": error.messages}})
            results.append(_rejected(index, client_id, "validation_error", "Invalid visit.", fields))
        except ValidationFailed as error:
            db.session.rollback()
            results.append(_rejected(index, client_id, error.code, error.message, error.fields))
    return results


def _rejected(index: int, client_id, code: str, message: str, fields=None) -> dict:
    return {
        "index": index,
        "client_id": client_id,
        "result": "rejected",
        "error": {"code": code, "message": message, "fields": fields},
    }


def _existing(actor: Account, client_id: str) -> Visit | None:
    return db.session.scalar(
        sa.select(Visit).where(Visit.worker_id == actor.id, Visit.client_id == client_id)
    )


def _one_visit(actor: Account, raw, schema) -> dict:
    values = schema.load(raw if isinstance(raw, dict) else {})
    found = _existing(actor, values["client_id"])
    if found is not None:
        return {"client_id": values["client_id"], "result": "duplicate", "visit_id": found.id}
    now = utcnow()
    if values["visited_at"] > now + timedelta(minutes=current_app.config["VISIT_FUTURE_MINUTES"]):
        raise ValidationFailed(
            "visited_at",
            "This visit is dated in the future; check the phone's clock.",
            code="visited_at_in_future",
        )
    if values["visited_at"] < now - timedelta(days=current_app.config["VISIT_MAX_AGE_DAYS"]):
        raise ValidationFailed(
            "visited_at",
            f"Visits older than {current_app.config['VISIT_MAX_AGE_DAYS']} days cannot be sent.",
            code="visited_at_too_old",
        )
    check_point(values.get("lat"), values.get("lng"))
    household = db.session.scalar(
        visible(sa.select(Household), Household, actor).where(Household.id == values["household_id"])
    )
    if household is None:
        raise ValidationFailed(
            "household_id", f"No household {values['household_id']} in your area.", code="household_not_found"
        )
    members = {member.id: member for member in household.members}
    updates = values.get("members") or []
    for update in updates:
        if update["resident_id"] not in members:
            raise ValidationFailed(
                "members",
                f"Resident {update['resident_id']} is not a member of this household.",
                code="not_a_member",
            )
    if updates and values["outcome"] != VisitOutcome.met:
        raise ValidationFailed(
            "members", "Member updates need a visit where the household was met.", code="updates_need_met"
        )
    visit = Visit(
        worker_id=actor.id,
        client_id=values["client_id"],
        household_id=household.id,
        visited_at=values["visited_at"],
        visit_day=local_day(values["visited_at"]),
        lat=values.get("lat"),
        lng=values.get("lng"),
        outcome=values["outcome"],
        notes=values.get("notes"),
        member_updates=[{**u} for u in updates] or None,
        **{name: getattr(household, name) for name in PLACE_COLUMN_NAMES},
    )
    try:
        # A resend racing its first copy: the loser's insert fails here or at the commit.
        changed, stale = _apply_visit(actor, visit, household, members, updates, values)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        found = _existing(actor, values["client_id"])
        if found is None:
            raise
        return {"client_id": values["client_id"], "result": "duplicate", "visit_id": found.id}
    return {
        "client_id": values["client_id"],
        "result": "applied",
        "visit_id": visit.id,
        "status_changes": changed,
        "stale_updates": stale,
    }


def _apply_visit(
    actor: Account, visit: Visit, household: Household, members: dict, updates: list, values: dict
) -> tuple[int, int]:
    """Write a checked visit and its member updates; return (statuses changed, stale updates skipped)."""
    db.session.add(visit)
    db.session.flush()
    if visit.outcome == VisitOutcome.met and household.lat is None and visit.lat is not None:
        household.lat, household.lng = visit.lat, visit.lng  # the worker stood at the door
    changed = stale = 0
    for update in updates:
        member = members[update["resident_id"]]
        latest = db.session.scalar(
            sa.select(sa.func.max(StatusChange.occurred_at)).where(StatusChange.resident_id == member.id)
        )
        if (
            latest is not None
            and latest > visit.visited_at
            and (update.get("employment_status") or update.get("key_groups") is not None)
        ):
            # An offline visit older than the ledger's latest word on this person: its status
            # and key groups are out of date, so only its needs are kept.
            stale += 1
            update = {"needs": update.get("needs")}
        if update.get("key_groups") is not None:
            groups = set(update["key_groups"])
            # Registered unemployment follows the status: a visit neither grants nor ends it.
            current = set(member.key_groups)
            groups = (groups - {KeyGroup.registered_unemployed}) | (
                current & {KeyGroup.registered_unemployed}
            )
            set_key_groups(member, sorted(groups), field="members", source=StatusSource.visit, actor=actor)
        if update.get("employment_status"):
            changed += (
                record_status(
                    member,
                    update["employment_status"],
                    StatusSource.visit,
                    actor=actor,
                    occurred_at=values["visited_at"],
                    note=f"visit {visit.id}",
                    recompute_household=False,
                )
                is not None
            )
        open_kinds = set(
            db.session.scalars(
                sa.select(Need.kind).where(Need.resident_id == member.id, Need.closed_at.is_(None))
            )
        )
        for kind in dict.fromkeys(update.get("needs") or []):
            if kind not in open_kinds:
                db.session.add(
                    Need(resident_id=member.id, household_id=household.id, visit_id=visit.id, kind=kind)
                )
    if updates:
        zero_employment.recompute(household.id, StatusSource.visit)
    return changed, stale


def status_history(actor: Account, resident_id: int) -> Resident:
    """Return a resident in the actor's place with their status changes (oldest first)."""
    return get_in_scope(Resident, resident_id, actor, "resident_not_found")
