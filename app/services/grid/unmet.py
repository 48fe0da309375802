"""Each community's unmet households (id, lat, lng) kept in Redis for the day, dropped by any change to them.

The checklist plans its route among a grid worker's households not met at the door this
quarter nor moved away; finding them among the visits was its slowest query, and they change
only when a visit or a household is written. So each community's set is kept in Redis (per
scope and day) under the community's token. Whatever flush writes a visit, or a household's
place, location or address, notes the community; once the transaction commits the community
gets a new token, so nobody reads the old set again (an assignment needs nothing: the worker's
communities are read on each request). A missing set is built on a connection of its own,
begun after the token was read: the request's snapshot (MariaDB's REPEATABLE READ) may be older
than the change that gave the token. When Redis fails the caller queries as before.
"""

import json
import logging
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import redis
import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.extensions import db, get_redis, redis_log_level
from app.models import Account, GridAssignment, Household, Role, ScopeKind, Visit
from app.services.people.scoping import SCOPE_COLUMNS

log = logging.getLogger(__name__)
VERSION = 2  # bumped when an entry's layout changes, so no old entry is read back
# A change made while Redis was unreachable gave no new token: such a set lives this long at most.
ENTRY_SECONDS = 600
# Longer than any entry: an expired token reads as "0" again, which no live entry can still hold.
TOKEN_SECONDS = int(timedelta(days=2).total_seconds())
# What of a household decides whether (and where) it is on a route.
HOUSEHOLD_FIELDS = ("lat", "lng", "address", "community_id", *SCOPE_COLUMNS.values())
_NOTED = "unmet_communities_changed"


# One hash tag, {checklist}: the tokens, and the entries, of many communities are read in one
# MGET each, and on a Redis Cluster the keys of one MGET must share a slot.
def _token_key(community_id: int) -> str:
    return f"checklist:v{VERSION}:{{checklist}}:token:{community_id}"


def _entry_key(community_id: int, scope: tuple, day: date, token: str) -> str:
    where = f"{community_id}:{scope[0]}:{scope[1]}:{day.isoformat()}:{token}"
    return f"checklist:v{VERSION}:{{checklist}}:unmet:{where}"


@dataclass
class Unmet:
    """Households still to visit: ids, lat and lng side by side (NaN: none), addresses of the unlocated."""

    ids: np.ndarray
    lat: np.ndarray
    lng: np.ndarray
    addresses: dict[int, str | None]


def unmet_households(actor: Account, today: date, query: Callable) -> Unmet | None:
    """Return the grid worker's households to visit on `today`: not met at the door this quarter, not moved.

    `query(communities, scope column, place id, today)` is the SELECT of (community_id, id, lat,
    lng, address if unlocated) that builds a missing set (checklist.py keeps the rules). None for
    anyone but a placed grid worker (an operator's place may be a district: the caller queries)
    and when Redis fails (the caller queries as before).
    """
    if actor.role != Role.grid_worker or actor.scope_kind is None or actor.scope_id is None:
        return None
    scope = (SCOPE_COLUMNS[ScopeKind(actor.scope_kind)], actor.scope_id)
    assigned = sa.select(GridAssignment.community_id).where(GridAssignment.account_id == actor.id)
    communities = sorted(db.session.scalars(assigned))
    try:
        entries = _through_cache(get_redis(), communities, scope, today, query) if communities else []
    except redis.RedisError as error:
        log.log(redis_log_level(error), "Checklist cache unavailable (%s): querying", error)
        return None
    parts = [_unpack(entry) for entry in entries]
    addresses = {}
    for part in parts:
        addresses.update(part.addresses)
    return Unmet(
        np.concatenate([part.ids for part in parts]) if parts else np.empty(0, np.int64),
        np.concatenate([part.lat for part in parts]) if parts else np.empty(0),
        np.concatenate([part.lng for part in parts]) if parts else np.empty(0),
        addresses,
    )


def _through_cache(connection, communities: list[int], scope: tuple, today: date, query) -> list[bytes]:
    tokens = [
        (token.decode() if isinstance(token, bytes) else token) or "0"
        for token in connection.mget([_token_key(c) for c in communities])
    ]
    keys = [_entry_key(c, scope, today, token) for c, token in zip(communities, tokens, strict=True)]
    entries = connection.mget(keys)
    missing = [community for community, entry in zip(communities, entries, strict=True) if entry is None]
    if missing:
        built = _build(missing, scope, today, query)
        pipeline = connection.pipeline(transaction=False)
        for index, (community, key) in enumerate(zip(communities, keys, strict=True)):
            if community in built:
                entries[index] = _pack(built[community])
                pipeline.set(key, entries[index], ex=ENTRY_SECONDS)
        pipeline.execute()
    return entries


def _pack(rows: list[tuple]) -> bytes:
    """Write rows (id, lat, lng, address if unlocated) as ids, lats, lngs (float64), then addresses' JSON."""
    nan = float("nan")
    ids = np.array([row[0] for row in rows], dtype="<i8")
    lat = np.array([nan if row[1] is None else row[1] for row in rows], dtype="<f8")
    lng = np.array([nan if row[2] is None else row[2] for row in rows], dtype="<f8")
    addresses = {str(row[0]): row[3] for row in rows if row[1] is None or row[2] is None}
    tail = json.dumps(addresses, ensure_ascii=False, separators=(",", ":")).encode()
    return struct.pack("<q", len(rows)) + ids.tobytes() + lat.tobytes() + lng.tobytes() + tail


def _unpack(entry: bytes) -> Unmet:
    (count,) = struct.unpack_from("<q", entry)
    ids = np.frombuffer(entry, dtype="<i8", count=count, offset=8)
    lat = np.frombuffer(entry, dtype="<f8", count=count, offset=8 + 8 * count)
    lng = np.frombuffer(entry, dtype="<f8", count=count, offset=8 + 16 * count)
    addresses = {int(key): value for key, value in json.loads(entry[8 + 24 * count :]).items()}
    return Unmet(ids, lat, lng, addresses)


def _build(communities: list[int], scope: tuple, today: date, query) -> dict[int, list[tuple]]:
    """Read the unmet households of `communities` in the scope, on a transaction begun now."""
    built: dict[int, list[tuple]] = {community: [] for community in communities}
    with db.engine.connect() as connection:
        for community, *row in connection.execute(query(communities, *scope, today)):
            built[community].append(tuple(row))
    return built


def communities_changed(community_ids) -> None:
    """Give these communities new tokens (after a commit): their kept sets are never read again."""
    ids = sorted({c for c in community_ids if c is not None})
    if not ids or not has_app_context():
        return
    try:
        pipeline = get_redis().pipeline(transaction=False)
        for community in ids:
            pipeline.set(_token_key(community), uuid.uuid4().hex, ex=TOKEN_SECONDS)
        pipeline.execute()
    except redis.RedisError as error:
        log.log(redis_log_level(error), "Checklist cache unavailable (%s): sets of %s kept", error, ids)


def _changed_households(session: Session):
    """Yield the communities of the visits and households this flush wrote (never loading an attribute)."""
    for obj in session.new | session.deleted:
        if isinstance(obj, Household | Visit):
            yield sa.inspect(obj).dict.get("community_id")
    for obj in session.dirty:
        if isinstance(obj, Household | Visit):
            state = sa.inspect(obj)
            if isinstance(obj, Visit) or any(
                state.attrs[name].history.has_changes() for name in HOUSEHOLD_FIELDS
            ):
                community = state.attrs.community_id.history
                yield from (*community.added, *community.unchanged, *community.deleted)


@event.listens_for(Session, "after_flush")
def _note(session: Session, context) -> None:
    """Note the communities whose visits or households this flush wrote."""
    changed = set(_changed_households(session))
    if changed:
        session.info.setdefault(_NOTED, set()).update(changed)


@event.listens_for(Session, "after_commit")
def _renew(session: Session) -> None:
    """Give the noted communities new tokens once their changes are committed."""
    changed = session.info.pop(_NOTED, None)
    if changed:
        communities_changed(changed)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    """Forget what a transaction noted when it ended without a commit."""
    if transaction.parent is None:
        session.info.pop(_NOTED, None)
