"""The city's clock: local days, months and quarters (every DATETIME column holds naive UTC)."""

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from app.errors import ValidationFailed


def zone() -> ZoneInfo:
    """Return the city's time zone (LOCAL_TIMEZONE)."""
    return ZoneInfo(current_app.config["LOCAL_TIMEZONE"])


def local_now() -> datetime:
    """Return the current time on the city's clock (aware)."""
    return datetime.now(zone())


def local_day(moment: datetime | None = None) -> date:
    """Return the city's calendar day of a naive-UTC moment (default now)."""
    if moment is None:
        return local_now().date()
    return moment.replace(tzinfo=UTC).astimezone(zone()).date()


def month_start(day: date) -> date:
    """Return the first day of the day's month."""
    return day.replace(day=1)


def month_end(day: date) -> date:
    """Return the last day of the day's month."""
    # Counted within the month: December 9999 has no following month to step back from.
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def quarter_start(day: date) -> date:
    """Return the first day of the day's quarter."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def utc_start_of(day: date) -> datetime:
    """Return the naive-UTC moment the city's day begins."""
    return datetime(day.year, day.month, day.day, tzinfo=zone()).astimezone(UTC).replace(tzinfo=None)


def day_range(date_from: date | None, date_to: date | None, max_days: int = 366) -> tuple[date, date]:
    """Check a ?from=&to= range of days (default the last 7, to today); 422 when reversed or too long."""
    date_to = date_to or local_day()
    date_from = date_from or date_to - timedelta(days=6)
    if date_from > date_to:
        raise ValidationFailed("from", "'from' must not be after 'to'.", code="invalid_date_range")
    if (date_to - date_from).days + 1 > max_days:
        raise ValidationFailed(
            "from", f"Ask for at most {max_days} days at a time.", code="date_range_too_long"
        )
    return date_from, date_to
