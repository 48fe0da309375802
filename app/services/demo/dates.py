"""The demo's calendar: months counted back from today, and the day its ledger was taken up.

Everything the demo dates lies in a window ending today on the city's clock, so a demo
started next month or next year still shows recent months; each generator keys its rows by
day or month and adds only the missing ones (`flask dev-setup` runs at every start).
"""

import random
from datetime import date, datetime, timedelta

from app.common.clock import local_day, month_end, utc_start_of

# Months of snapshots before the current one (the console's trend shows them with this month).
HISTORY_MONTHS = 6
# The ledger was taken up a month before the oldest snapshot: every demo status dates from then.
LEDGER_MONTHS = HISTORY_MONTHS + 1


def months_back(first: date, count: int) -> date:
    """Return the first day of the month `count` months before the month starting `first`."""
    index = first.year * 12 + first.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def this_month() -> date:
    """Return the first day of the city's current month."""
    return local_day().replace(day=1)


def ledger_start() -> datetime:
    """Return when the demo ledger was taken up (naive UTC): 09:00 on the first of that month."""
    return utc_start_of(months_back(this_month(), LEDGER_MONTHS)) + timedelta(hours=9)


def month_closed_at(first: date) -> datetime:
    """Return the moment after a month ended when its snapshot was frozen (naive UTC, 00:30 next day)."""
    return utc_start_of(month_end(first) + timedelta(days=1)) + timedelta(minutes=30)


def at_local(day: date, minutes: int) -> datetime:
    """Return `minutes` after the city's midnight of `day`, as naive UTC."""
    return utc_start_of(day) + timedelta(minutes=minutes)


def rng(*key) -> random.Random:
    """Return a random generator seeded by `key`: the same rows on every run, whatever the order."""
    return random.Random("|".join(str(part) for part in key))


def weekdays(first: date, last: date) -> list[date]:
    """Return the Mondays to Fridays from `first` to `last`, both included."""
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if day.weekday() < 5]
