"""The checklist: households not met at the door this quarter (nor moved away) as a route; follow-ups."""

import math
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from app.common.clock import local_day, quarter_start
from app.common.geo import check_point, distance_m, planar_sq_distance
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.models import (
    Account,
    Household,
    ListEntryStatus,
    Need,
    PlacementFollowUp,
    PlacementFollowUpStatus,
    ProvinceListEntry,
    Resident,
    Role,
    Visit,
    VisitChannel,
    VisitOutcome,
    utcnow,
)
from app.services.people.scoping import worked_on

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


def met_at_door(start: date, end: date):
    """The condition of a visit that counts toward coverage: met, at the door, from `start` to `end`.

    A call, a meeting at the station or an online contact updates the ledger but is no door-to-door
    visit (the plan tells 上门走访 from 电话访谈): the household stays on the route.
    """
    return sa.and_(
        Visit.outcome == VisitOutcome.met,
        Visit.channel == VisitChannel.door,
        Visit.visit_day >= start,
        Visit.visit_day <= end,
    )


def reached(start: date, end: date, *where):
    """SELECT (community_id, met, contacted) per community: households met from `start` to `end`.

    `met`: met at the door at least once (covered); `contacted`: met only by phone, at the
    station or online (shown apart, never covered). One pass over the window's met visits
    (those matching `where` too), grouped by household, as the met count alone took before.
    """
    door = sa.func.max(sa.case((Visit.channel == VisitChannel.door, 1), else_=0)).label("door")
    households = (
        sa.select(Visit.community_id, door)
        .where(Visit.outcome == VisitOutcome.met, Visit.visit_day.between(start, end), *where)
        .group_by(Visit.community_id, Visit.household_id)
        .subquery()
    )
    community, met = households.c.community_id, sa.func.sum(households.c.door)
    return sa.select(community, met, sa.func.count() - met).group_by(community)


def _met_this_quarter(today: date):
    return sa.select(Visit.household_id).where(met_at_door(quarter_start(today), today))


def moved_away(actor: Account, as_of: date):
    """SELECT the ids of the actor's households whose latest visit by `as_of` found them moved (已搬离).

    They leave the checklist and the coverage until a later visit (someone met there, or
    another attempt) puts them back: the latest visit decides, of any channel (a call can
    learn that a family moved away as well as a knock at the door).
    """
    return worked_on(moved_away_anywhere(as_of), Visit, actor)


def moved_away_anywhere(as_of: date):
    """SELECT the ids of every household whose latest visit by `as_of` found it moved (for the snapshot)."""
    later = aliased(Visit)
    return sa.select(Visit.household_id).where(
        Visit.outcome == VisitOutcome.moved,
        Visit.visit_day <= as_of,
        ~sa.exists().where(
            later.household_id == Visit.household_id,
            later.visited_at > Visit.visited_at,
            later.visit_day <= as_of,
        ),
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
    """Return the worker's households not yet met at the door this quarter as a walking route, and follow-ups.

    The route is planned on light rows (id, location, address); only its stops are loaded
    with their members. Each stop shows its latest visit of any channel, so a household called
    this quarter shows that call (and stays on the route).
    """
    check_point(lat, lng)
    today = local_day()
    # Households that moved away are not there to visit: neither on the route nor in `remaining`.
    to_visit = sa.and_(
        Household.id.not_in(_met_this_quarter(today)), Household.id.not_in(moved_away(actor, today))
    )
    unmet = worked_on(sa.select(Household.id), Household, actor).where(to_visit)
    remaining = db.session.scalar(sa.select(sa.func.count()).select_from(unmet.subquery()))
    # The address orders only households without a location: not fetched for the others.
    unlocated = sa.or_(Household.lat.is_(None), Household.lng.is_(None))
    address = sa.case((unlocated, Household.address), else_=sa.null()).label("address")
    candidates = worked_on(
        sa.select(Household.id, Household.lat, Household.lng, address), Household, actor
    ).where(to_visit)
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
                Need.household_id.in_(worked_on(sa.select(Household.id), Household, actor)),
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
    placement_tasks = _tasks(
        actor, PlacementFollowUp, PlacementFollowUpStatus.task.value, PlacementFollowUp.task_at
    )
    if placement_tasks:
        people.update(
            (resident.id, resident)
            for resident in db.session.scalars(
                sa.select(Resident).where(Resident.id.in_({t.resident_id for t in placement_tasks}))
            )
        )
    return {
        "quarter_start": quarter_start(today),
        "remaining": remaining,
        "items": [
            {"household": loaded[row.id], "distance_m": metres, "last_visit": last.get(row.id)}
            for row, metres in route
        ],
        "follow_ups": [{"need": need, "resident": people.get(need.resident_id)} for need in needs],
        "placement_tasks": [
            {"follow_up": task, "resident": people.get(task.resident_id)} for task in placement_tasks
        ],
        "province_list_tasks": _tasks(
            actor, ProvinceListEntry, ListEntryStatus.task.value, ProvinceListEntry.created_at
        ),
    }


def _tasks(actor: Account, model, status: str, since) -> list:
    """Return the rows of `model` in `status` in the worker's communities, oldest (`since`) first.

    Other wings make these tasks and record their outcome; the checklist only lists them, so the
    worker phones or calls at the door: placement follow-ups nobody answered in time
    (docs/PLACEMENTS.md) and people on the province's key-group lists not in the ledger
    (docs/EXCHANGE.md).
    """
    return list(
        db.session.scalars(
            worked_on(sa.select(model), model, actor)
            .where(model.status == status)
            .order_by(since, model.id)
            .limit(FOLLOW_UPS_MAX)
        )
    )


def _last_visits(household_ids: list[int]) -> dict[int, Visit]:
    """Return the latest visit of each household (any channel), in one query."""
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
            Need.id == need_id, Need.household_id.in_(worked_on(sa.select(Household.id), Household, actor))
        )
    )
    if need is None:
        raise NotFound("need_not_found", f"No follow-up {need_id} in your area.")
    if need.closed_at is None:
        need.closed_at, need.closed_by_id = utcnow(), actor.id
        db.session.commit()
    return need
