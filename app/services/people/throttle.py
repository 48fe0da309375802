"""Login throttle: sliding windows of failed staff logins on Redis, reserved before the hash check.

Three windows, all counted in one Lua script so that parallel guesses cannot slip past them:

- per (username, address) pair: LOGIN_MAX_FAILURES in LOGIN_LOCK_SECONDS locks that pair out;
  a stranger's failures lock the stranger, not the real user at their own address;
- per username, from anywhere: LOGIN_USERNAME_MAX_FAILURES in LOGIN_USERNAME_WINDOW_SECONDS, the
  looser ceiling against guessing from many addresses (reaching it locks out everyone, the real
  user too: the price of a ceiling at all);
- per address, over every username: LOGIN_ADDRESS_MAX_FAILURES in LOGIN_ADDRESS_WINDOW_SECONDS,
  against spraying many usernames from one place.

An attempt takes a slot in all three windows before its password is checked (`reserve`), so no
more than the limit of checks ever run, however many arrive at once; a successful login gives its
slot back and clears its pair's failures (`succeeded`), a right password whose second factor is
still to come only its slot (`released`); a failed one keeps it. Keys and members are keyed
hashes (DATA_KEY), so Redis never holds what was typed, nor an address.

Redis errors propagate (redis.RedisError): the caller decides what to do without Redis.
"""

import secrets
import time
from dataclasses import dataclass

from flask import current_app

from app.common.crypto import lookup_hash
from app.extensions import get_redis

# KEYS[1]: the username's failures, members "<pair tag>:<nonce>"; KEYS[2]: the address's failures.
# ARGV: now_ms, pair tag, nonce, then limit and window (ms) of the pair, the username, the address.
# Answers {"ok", pair count, username count, address count} with this attempt counted, or
# {"pair" | "username" | "address", ms until a slot frees, count} and counts nothing.
_RESERVE = """
local now = tonumber(ARGV[1])
local prefix = ARGV[2] .. ':'
local member = prefix .. ARGV[3]
local pair_limit, pair_window = tonumber(ARGV[4]), tonumber(ARGV[5])
local user_limit, user_window = tonumber(ARGV[6]), tonumber(ARGV[7])
local addr_limit, addr_window = tonumber(ARGV[8]), tonumber(ARGV[9])
local user_keep = math.max(pair_window, user_window)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - user_keep)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - addr_window)
local pair_count, pair_oldest, user_count, user_oldest = 0, now, 0, now
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #entries, 2 do
  local score = tonumber(entries[i + 1])
  if score > now - user_window then
    if user_count == 0 then user_oldest = score end
    user_count = user_count + 1
  end
  if score > now - pair_window and string.sub(entries[i], 1, #prefix) == prefix then
    if pair_count == 0 then pair_oldest = score end
    pair_count = pair_count + 1
  end
end
if pair_count >= pair_limit then return {'pair', pair_oldest + pair_window - now, pair_count} end
if user_count >= user_limit then return {'username', user_oldest + user_window - now, user_count} end
local addr_count = redis.call('ZCARD', KEYS[2])
if addr_count >= addr_limit then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {'address', tonumber(oldest[2]) + addr_window - now, addr_count}
end
redis.call('ZADD', KEYS[1], now, member)
redis.call('ZADD', KEYS[2], now, member)
redis.call('PEXPIRE', KEYS[1], user_keep)
redis.call('PEXPIRE', KEYS[2], addr_window)
return {'ok', pair_count + 1, user_count + 1, addr_count + 1, pair_oldest, user_oldest}
"""

# KEYS as above; ARGV: pair tag, this attempt's member. Drops the pair's failures and the slot.
_SUCCEEDED = """
local prefix = ARGV[1] .. ':'
for _, entry in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(entry, 1, #prefix) == prefix then redis.call('ZREM', KEYS[1], entry) end
end
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
"""


@dataclass(frozen=True)
class Refused:
    """An attempt refused before its password was checked: which window is full, and for how long."""

    limit: str  # "pair", "username" or "address"
    retry_after: int  # seconds


@dataclass(frozen=True)
class Reservation:
    """A slot taken for one password check, with each window's count of failures counting this one."""

    user_key: str
    address_key: str
    tag: str
    member: str
    pair_failures: int
    username_failures: int
    address_failures: int
    pair_retry_after: int  # seconds until the pair's oldest counted failure leaves its window
    username_retry_after: int

    def locks_pair(self) -> bool:
        """Whether this attempt, if it fails, reaches the pair's limit."""
        return self.pair_failures >= current_app.config["LOGIN_MAX_FAILURES"]

    def locks_username(self) -> bool:
        """Whether this attempt, if it fails, reaches the username's ceiling."""
        return self.username_failures >= current_app.config["LOGIN_USERNAME_MAX_FAILURES"]


def _seconds(milliseconds: int) -> int:
    """Round milliseconds up to whole seconds, at least one (a Retry-After of 0 invites a retry loop)."""
    return max((int(milliseconds) + 999) // 1000, 1)


def _keys(username: str, generation: str | None, address: str | None) -> tuple[str, str, str]:
    """Return the username's key, the address's key and the pair's tag, all keyed hashes."""
    address = address or "unknown"
    # The generation (from the password hash) starts the username's windows afresh when an admin
    # resets the password: the reset unlocks, as it did when the lock lived on the account row.
    # One hash tag, {throttle}: both keys go to one Lua script, so to one cluster slot.
    user_hash = lookup_hash(f"{username}\n{generation or ''}", "login_username")
    user_key = "login:{throttle}:user:" + user_hash[:32]
    address_hash = lookup_hash(address, "login_address")
    return user_key, "login:{throttle}:addr:" + address_hash[:32], address_hash[:16]


def reserve(username: str, address: str | None, generation: str | None = None) -> Reservation | Refused:
    """Take a slot for one password check of `username` from `address`, or say which window is full."""
    config = current_app.config
    user_key, address_key, tag = _keys(username, generation, address)
    nonce = secrets.token_hex(8)
    now_ms = int(time.time() * 1000)
    answer = get_redis().register_script(_RESERVE)(
        keys=[user_key, address_key],
        args=[
            now_ms,
            tag,
            nonce,
            config["LOGIN_MAX_FAILURES"],
            config["LOGIN_LOCK_SECONDS"] * 1000,
            config["LOGIN_USERNAME_MAX_FAILURES"],
            config["LOGIN_USERNAME_WINDOW_SECONDS"] * 1000,
            config["LOGIN_ADDRESS_MAX_FAILURES"],
            config["LOGIN_ADDRESS_WINDOW_SECONDS"] * 1000,
        ],
    )
    kind = answer[0].decode() if isinstance(answer[0], bytes) else answer[0]
    if kind != "ok":
        return Refused(kind, _seconds(answer[1]))
    pair_oldest, user_oldest = int(answer[4]), int(answer[5])
    return Reservation(
        user_key=user_key,
        address_key=address_key,
        tag=tag,
        member=f"{tag}:{nonce}",
        pair_failures=int(answer[1]),
        username_failures=int(answer[2]),
        address_failures=int(answer[3]),
        pair_retry_after=_seconds(pair_oldest + config["LOGIN_LOCK_SECONDS"] * 1000 - now_ms),
        username_retry_after=_seconds(user_oldest + config["LOGIN_USERNAME_WINDOW_SECONDS"] * 1000 - now_ms),
    )


def succeeded(reservation: Reservation) -> None:
    """Give the slot back after a right password and forget this pair's earlier failures."""
    get_redis().register_script(_SUCCEEDED)(
        keys=[reservation.user_key, reservation.address_key], args=[reservation.tag, reservation.member]
    )


def released(reservation: Reservation) -> None:
    """Give the slot back after a right password whose second factor is still to come.

    Unlike `succeeded`, the pair's earlier failures stay counted: sending the right password again
    does not wipe the wrong codes before it, so guessing codes meets the same lockout.
    """
    pipe = get_redis().pipeline(transaction=True)
    pipe.zrem(reservation.user_key, reservation.member)
    pipe.zrem(reservation.address_key, reservation.member)
    pipe.execute()
