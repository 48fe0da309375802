"""The checklist: households not met at the door this quarter (nor moved away) as a route; follow-ups.

The answer's parts are written from rows in checklist_answer.py.
"""

import math
from datetime import date
from typing import NamedTuple

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import aliased

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
from app.services.grid import checklist_answer as answer
from app.services.grid import unmet
from app.services.people.scoping import worked_on

CHECKLIST_MAX = 200
# The route is planned among at most this many unmet households nearest the start: a
# nearest-neighbour walk of k stops stays among the few k nearest, so 8 per stop (at least
# 400) leaves the route as it would be among all of them, and reading 2,000 rows through
# PyMySQL was most of the checklist's time. Without a start, the lowest ids, up to the maximum.
CHECKLIST_CANDIDATES = 5000
CHECKLIST_CANDIDATES_PER_STOP, CHECKLIST_CANDIDATES_MIN = 8, 400
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

    The route is planned on light rows (id, location, address: a grid worker's kept in Redis,
    see unmet.py); only its stops are read with their members. Each stop shows its latest visit
    of any channel, so a household called this quarter shows that call (and stays on the route).
    The answer is ChecklistSchema's JSON, built from rows: ORM objects and marshmallow took half
    of a checklist's time.
    """
    check_point(lat, lng)
    today = local_day()
    pending, remaining = _candidates(actor, lat, lng, limit, today)
    route = walking_order(pending, lat, lng, min(limit, CHECKLIST_MAX))
    ids = [row.id for row, _ in route]
    households = answer.households(ids, today)
    last = answer.last_visits(ids)
    needs = db.session.execute(
        sa.select(Need.id, Need.kind, Need.household_id, Need.visit_id, Need.created_at, Need.resident_id)
        .where(
            Need.closed_at.is_(None),
            Need.household_id.in_(worked_on(sa.select(Household.id), Household, actor)),
        )
        .order_by(Need.created_at, Need.id)
        .limit(FOLLOW_UPS_MAX)
    ).all()
    placement_tasks = db.session.execute(
        _tasks(
            actor,
            PlacementFollowUp,
            PlacementFollowUpStatus.task.value,
            PlacementFollowUp.task_at,
            PlacementFollowUp.id,
            PlacementFollowUp.stage_days,
            PlacementFollowUp.employer_name,
            PlacementFollowUp.started_on,
            PlacementFollowUp.due_on,
            PlacementFollowUp.task_at,
            PlacementFollowUp.resident_id,
        )
    ).all()
    wanted = {row.resident_id for row in needs} | {row.resident_id for row in placement_tasks}
    people = (
        {
            row.id: row
            for row in db.session.execute(
                sa.select(Resident.id, Resident.name, Resident.phone_hint).where(Resident.id.in_(wanted))
            )
        }
        if wanted
        else {}
    )
    province_list_tasks = db.session.execute(
        _tasks(
            actor,
            ProvinceListEntry,
            ListEntryStatus.task.value,
            ProvinceListEntry.created_at,
            *(getattr(ProvinceListEntry, name) for name in answer.PROVINCE_LIST_FIELDS),
        )
    ).all()
    return {
        "quarter_start": quarter_start(today).isoformat(),
        "remaining": remaining,
        "items": [
            {"household": households[row.id], "distance_m": metres, "last_visit": last.get(row.id)}
            for row, metres in route
        ],
        "follow_ups": [answer.need(row, people.get(row.resident_id)) for row in needs],
        "placement_tasks": [
            answer.placement_task(row, people.get(row.resident_id)) for row in placement_tasks
        ],
        "province_list_tasks": [answer.province_list_task(row) for row in province_list_tasks],
    }


class Candidate(NamedTuple):
    """A household as the route is planned: where it is (its address only when it has no location)."""

    id: int
    lat: float | None
    lng: float | None
    address: str | None


def _candidates(actor: Account, lat: float | None, lng: float | None, limit: int, today: date):
    """Return the households to plan the route among, and how many remain to visit in all."""
    # An operator of a district may have 100,000 unmet households: the route is planned among
    # the nearest few (unlocated ones last), which is where the walk goes anyway.
    read = CHECKLIST_CANDIDATES
    if lat is not None:
        read = min(read, max(CHECKLIST_CANDIDATES_MIN, CHECKLIST_CANDIDATES_PER_STOP * limit))
    kept = unmet.unmet_households(actor, today, _unmet_in)
    if kept is not None:
        return _nearest_kept(kept, lat, lng, read), len(kept.ids)
    # Households that moved away are not there to visit: neither on the route nor in `remaining`.
    to_visit = sa.and_(
        Household.id.not_in(_met_this_quarter(today)), Household.id.not_in(moved_away(actor, today))
    )
    unmet_ids = worked_on(sa.select(Household.id), Household, actor).where(to_visit)
    remaining = db.session.scalar(sa.select(sa.func.count()).select_from(unmet_ids.subquery()))
    # The address orders only households without a location: not fetched for the others.
    unlocated = sa.or_(Household.lat.is_(None), Household.lng.is_(None))
    address = sa.case((unlocated, Household.address), else_=sa.null()).label("address")
    candidates = worked_on(
        sa.select(Household.id, Household.lat, Household.lng, address), Household, actor
    ).where(to_visit)
    if lat is not None:
        candidates = candidates.order_by(
            sa.case((Household.lat.is_(None), 1), else_=0),
            planar_sq_distance(Household.lat, Household.lng, lat, lng),
        )
    return db.session.execute(candidates.order_by(Household.id).limit(read)).all(), remaining


def _unmet_in(communities: list[int], column: str, place_id: int, today: date):
    """SELECT (community_id, id, lat, lng, address if unlocated) of the communities' households to visit.

    The fallback's query in _candidates, for a grid worker's scope (`column` = `place_id`), one
    set per community: kept by unmet.py.
    """
    unlocated = sa.or_(Household.lat.is_(None), Household.lng.is_(None))
    moved = moved_away_anywhere(today).where(
        Visit.community_id.in_(communities), getattr(Visit, column) == place_id
    )
    return (
        sa.select(
            Household.community_id,
            Household.id,
            Household.lat,
            Household.lng,
            sa.case((unlocated, Household.address), else_=sa.null()),
        )
        .where(
            Household.community_id.in_(communities),
            getattr(Household, column) == place_id,
            Household.id.not_in(_met_this_quarter(today)),
            Household.id.not_in(moved),
        )
        .order_by(Household.id)
    )


def _nearest_kept(kept: unmet.Unmet, lat: float | None, lng: float | None, read: int) -> list[Candidate]:
    """Return the first `read` of the kept households in the order of the query in _candidates."""
    if lat is None:
        order = np.argsort(kept.ids, kind="stable")[:read]
    else:
        located = ~np.isnan(kept.lat)
        # planar_sq_distance is arithmetic: on arrays it is the query's ORDER BY, element-wise.
        distance = np.where(located, planar_sq_distance(kept.lat, kept.lng, lat, lng), 0.0)
        distance[located & np.isnan(kept.lng)] = -np.inf  # SQL's NULL distance sorts first
        order = np.lexsort((kept.ids, distance, ~located))[:read]
    lats, lngs = kept.lat[order].tolist(), kept.lng[order].tolist()
    return [
        Candidate(
            ident,
            None if math.isnan(y) else y,
            None if math.isnan(x) else x,
            kept.addresses.get(ident),
        )
        for ident, y, x in zip(kept.ids[order].tolist(), lats, lngs, strict=True)
    ]


def _tasks(actor: Account, model, status: str, since, *columns):
    """SELECT `columns` of `model`'s rows in `status` in the worker's communities, oldest (`since`) first.

    Other wings make these tasks and record their outcome; the checklist only lists them, so the
    worker phones or calls at the door: placement follow-ups nobody answered in time
    (docs/PLACEMENTS.md) and people on the province's key-group lists not in the ledger
    (docs/EXCHANGE.md).
    """
    return (
        worked_on(sa.select(*columns), model, actor)
        .where(model.status == status)
        .order_by(since, model.id)
        .limit(FOLLOW_UPS_MAX)
    )


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
