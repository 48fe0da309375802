"""The station a check-in's code names, as the check-in reads it: one narrow row, the rest kept per process.

Every check-in reads its station: the rules (version, open or closed, geofence, hours), the place
it counts in, and what the answer shows (name, address, hours, its circle). Of those only the
printed code's version and whether the station is open for check-in must be exactly current; the
rest changes when staff edit the station, which moves `updated_at`. So each check-in reads three
columns (version, active, updated_at) and takes the other twenty from a copy this process keeps,
read again whenever one of the three differs from the copy's. PyMySQL parses a packet per column
of every result: this was about a tenth of a check-in's CPU (docs/PERFORMANCE.md §2).

`updated_at` is stored to the second: a second edit within the same second as the first, in
another process, is seen when the copy is older than KEPT_SECONDS. An edit flushed by this process
drops its copy at once (the mapper events below), which is what the tests and the console see.
The copies are transient Station objects, never in a session: nothing here writes a station.
"""

import time

import sqlalchemy as sa

from app.models import Circle, District, Station
from app.services import statements

# How long a copy serves at most (a second edit within one second elsewhere shows by then).
KEPT_SECONDS = 30
# The place columns a check-in copies from its station (counts per place: one equality).
PLACE_COLUMNS = ("community_id", "township_id", "circle_id", "district_id", "city_id")

_STAMP = sa.select(Station.qr_version, Station.is_active, Station.updated_at).where(
    Station.id == sa.bindparam("station_id")
)
_WHOLE = (
    sa.select(
        *(
            getattr(Station, name)
            for name in (
                "id",
                "code",
                "name",
                "address",
                "lat",
                "lng",
                "hours",
                "opening_hours",
                "phone",
                "require_location",
                "geofence_m",
                "qr_version",
                "is_active",
                "updated_at",
                *PLACE_COLUMNS,
            )
        ),
        Circle.key.label("circle_key"),
        Circle.name.label("circle_name"),
        Circle.district_id.label("circle_district_id"),
        District.short_code.label("district_short_code"),
    )
    .join(Circle, Circle.id == Station.circle_id)
    .join(District, District.id == Circle.district_id)
    .where(Station.id == sa.bindparam("station_id"))
)

# station id -> (the stamp it was read under, when it stops serving, the station)
_kept: dict[int, tuple[tuple, float, Station]] = {}


def station(station_id: int) -> Station | None:
    """Return the station as a check-in reads it (None: no such station): a transient Station."""
    stamp = statements.run(_STAMP, {"station_id": station_id}).first()
    if stamp is None:
        return None
    stamp = tuple(stamp)
    now = time.monotonic()
    kept = _kept.get(station_id)
    if kept is not None and kept[0] == stamp and kept[1] > now:
        return kept[2]
    row = statements.run(_WHOLE, {"station_id": station_id}).first()
    if row is None:
        return None
    read = _transient(row._asdict())
    # Kept under what the whole row says: if it changed since the stamp, the next check-in reads again.
    _kept[station_id] = ((read.qr_version, read.is_active, read.updated_at), now + KEPT_SECONDS, read)
    return read


def _transient(values: dict) -> Station:
    """Build a Station with its circle and district from one row's values, outside any session."""
    district = District(id=values.pop("circle_district_id"), short_code=values.pop("district_short_code"))
    circle = Circle(id=values["circle_id"], district=district)
    circle.key, circle.name = values.pop("circle_key"), values.pop("circle_name")
    return Station(**values, circle=circle)


def forget(station_id: int | None = None) -> None:
    """Drop this process's copy of a station (of every station: None)."""
    if station_id is None:
        _kept.clear()
    else:
        _kept.pop(station_id, None)


@sa.event.listens_for(Station, "after_insert")  # an id used again (a restored or emptied table)
@sa.event.listens_for(Station, "after_update")
@sa.event.listens_for(Station, "after_delete")
def _edited(mapper, connection, target: Station) -> None:
    forget(target.id)
