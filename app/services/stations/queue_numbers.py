"""Queue numbers (排队号): a Redis INCR per queue, the check-in rows the record, the database without Redis.

A number is taken just before the check-in row that holds it is written. Redis hands numbers out
without a lock, so a busy station's check-ins do not wait for one another; the unique index of
(queue_key, queue_number) is what guarantees no number is given twice. A key Redis no longer has
(a new day, a flush, a restart without persistence, an expiry) is seeded from the highest number
the rows hold. Numbers taken from the database while Redis was down are ahead of Redis when it
answers again: the first check-in that collides with one on the unique index raises the key to the
rows' highest number and takes the next (see check_ins._record). A number taken by a check-in
that then fails is given back when nobody took a later one, so queues stay without a gap.
"""

import logging

import redis
import sqlalchemy as sa

from app.common.upsert import upsert
from app.extensions import db, get_redis, redis_log_level
from app.models import CheckIn, QueueCounter, utcnow

log = logging.getLogger(__name__)

# Long enough to outlive a station's day; a key that expires sooner is seeded again from the rows.
KEY_TTL_SECONDS = 3 * 24 * 3600
# Redis answers None when it no longer has the queue's key: the caller seeds it from the rows.
_NEXT = """
if redis.call('exists', KEYS[1]) == 1 then return redis.call('incr', KEYS[1]) end
return false
"""
# Raise the key to at least ARGV[1] (the rows' highest number), then take the next number.
_RAISE_AND_NEXT = """
local current = tonumber(redis.call('get', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then redis.call('set', KEYS[1], ARGV[1]) end
local number = redis.call('incr', KEYS[1])
if redis.call('ttl', KEYS[1]) < 0 then redis.call('expire', KEYS[1], ARGV[2]) end
return number
"""
# Give a number back only while it is still the last one taken: a later one keeps the gap closed.
_GIVE_BACK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('decr', KEYS[1]) end
return false
"""


def station_queue_key(station_id: int, day) -> str:
    """Return the key of a station's queue of one local day (its numbers start at 1 each day)."""
    return f"s{station_id}:{day.isoformat()}"


def redis_key(queue_key: str) -> str:
    """Return the Redis key holding a queue's last number."""
    return f"queue:{queue_key}"


def highest_taken(queue_key: str) -> int:
    """Return the highest number the check-in rows of a queue hold (0: none); one index lookup."""
    top = db.session.scalar(
        sa.select(sa.func.max(CheckIn.queue_number)).where(CheckIn.queue_key == queue_key)
    )
    return top or 0


def is_taken(queue_key: str, number: int) -> bool:
    """Whether a check-in row holds this number of the queue already."""
    held = sa.select(CheckIn.id).where(CheckIn.queue_key == queue_key, CheckIn.queue_number == number)
    return db.session.scalar(held) is not None


def take(queue_key: str, resync: bool = False) -> tuple[int, bool]:
    """Return the queue's next number and whether Redis gave it (False: the database did).

    `resync`: the last number Redis gave was already on a row (Redis was behind the rows), so
    the key is first raised to the rows' highest number.
    """
    client, key = get_redis(), redis_key(queue_key)
    try:
        number = None if resync else client.eval(_NEXT, 1, key)
        if number is None:
            number = client.eval(_RAISE_AND_NEXT, 1, key, highest_taken(queue_key), KEY_TTL_SECONDS)
        return int(number), True
    except redis.RedisError as error:
        log.log(
            redis_log_level(error),
            "queue number of %s from the database: Redis failed (%s)",
            queue_key,
            error,
        )
    return _from_database(queue_key), False


def _from_database(queue_key: str) -> int:
    """Take the next number with the queue's counter row as the lock, above every number on a row.

    The counter row alone was the record before Redis numbered queues; the rows' highest number
    catches up with what Redis gave. It is a plain read, after the counter's lock is taken: a
    subquery inside the upsert would take shared gap locks on the queue's index before waiting
    for the counter, and the inserts of the check-ins holding the counter would deadlock on them.
    """
    now = utcnow()
    upsert(
        db.session,
        QueueCounter,
        {"key": queue_key, "last": 1, "updated_at": now},
        "key",
        {"last": QueueCounter.last + 1, "updated_at": now},
    )
    highest = sa.select(sa.func.max(CheckIn.queue_number)).where(CheckIn.queue_key == queue_key)
    last, top = db.session.execute(
        sa.select(QueueCounter.last, highest.scalar_subquery()).where(QueueCounter.key == queue_key)
    ).one()
    if top is not None and top >= last:  # Redis numbered this queue before: go on above its numbers
        last = top + 1
        db.session.execute(sa.update(QueueCounter).where(QueueCounter.key == queue_key).values(last=last))
    return last


def give_back(queue_key: str, number: int) -> None:
    """Return a number Redis gave to a check-in that was not recorded, if it is still the last one."""
    try:
        get_redis().eval(_GIVE_BACK, 1, redis_key(queue_key), number)
    except redis.RedisError as error:  # a gap in the queue; the numbers stay unique
        log.log(redis_log_level(error), "queue number %s of %s not given back (%s)", number, queue_key, error)
