"""Seekers on the map: residents looking for work (an open résumé and a home), in a Redis GEO set.

The set serves the candidates of a job and the push fan-out; the database is the truth, and
`flask rebuild-geo-index` rebuilds the set with the jobs' (services/jobs/search/geo_index.py).
Writes happen after the database commit; a Redis failure there is logged, not raised.
A hire closes the résumé (services/jobs/resumes.py `pause_seeking`), so it takes the resident
out of the set, the candidates and the job-match fan-out until they look for work again.
"""

import logging

import redis
import sqlalchemy as sa

from app.common.geo import geo_nearest
from app.extensions import get_redis
from app.models import Account, Resident, Resume, Role

log = logging.getLogger(__name__)

SEEKERS = "geo:seekers"


def seekers_select(*columns):
    """SELECT `columns` of seekers: residents with a resident account, an open résumé and a home.

    The SQL twin of `is_seeking()`; the rebuild, the candidates and their SQL fallback use it.
    """
    return (
        sa.select(*columns)
        .join(Resume, Resume.resident_id == Resident.id)
        .join(Account, Account.id == Resident.account_id)
        .where(
            Resume.open_to_work.is_(True),
            Account.role == Role.resident,
            Resident.home_lat.is_not(None),
            Resident.home_lng.is_not(None),
        )
    )


def is_seeking(resident: Resident, resume: Resume | None) -> bool:
    """Tell whether a resident is a seeker: an open résumé and a home on the map."""
    return (
        resume is not None
        and resume.open_to_work
        and resident.account is not None
        and resident.account.role == Role.resident
        and resident.home_lat is not None
        and resident.home_lng is not None
    )


def sync_seeker(resident: Resident, resume: Resume | None) -> None:
    """Put a resident's home into the seekers' set, or take it out; call after commit."""
    try:
        if is_seeking(resident, resume):
            get_redis().geoadd(SEEKERS, (resident.home_lng, resident.home_lat, resident.id))
        else:
            get_redis().zrem(SEEKERS, resident.id)
    except redis.RedisError:
        log.warning("GEO index: could not sync seeker %s", resident.id, exc_info=True)


def search_seekers(lat: float, lng: float, radius_m: float, count: int) -> list[tuple[int, float]]:
    """Return up to `count` (resident id, metres) nearest first; raises RedisError."""
    return geo_nearest(get_redis(), SEEKERS, lat, lng, radius_m, count)
