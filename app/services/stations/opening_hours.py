"""A station's opening hours (开放时间): a weekly schedule and dated exceptions, in the city's local time.

The structure, as staff send it and as it is stored (`Station.opening_hours`):

    {"weekly": {"mon": [{"opens": "08:30", "closes": "12:00"}, {"opens": "14:00", "closes": "17:30"}],
                …, "sat": [], "sun": []},
     "exceptions": [{"date": "2027-01-01", "closed": true, "hours": [], "note": "元旦"},
                    {"date": "2027-02-20", "closed": false, "hours": [{"opens": "08:30", …}],
                     "note": "调休上班"}]}

An exception replaces the weekly hours of its date: a holiday (closed) or a make-up working day
(调休) or shortened day (its own hours). Intervals are [opens, closes) on one local day; "24:00"
closes at midnight (a night past midnight is two intervals, one each side). No structure
(None) means the hours are unknown, and the station counts as open.
"""

from datetime import UTC, date, datetime, time, timedelta

from app.common import clock
from app.errors import ValidationFailed

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
FIELD = "opening_hours"
# How far ahead the next opening is looked for: beyond a year the station is simply closed.
LOOKAHEAD_DAYS = 370
# The human text column's width (Station.hours).
TEXT_LIMIT = 128


def minutes(text: str) -> int:
    """Return the minutes since midnight of an "HH:MM" time ("24:00" is 1440)."""
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def _checked_day(intervals: list[dict], field: str) -> list[dict]:
    """Return one day's intervals sorted, refusing a reversed or an overlapping one (422 on `field`)."""
    for index, interval in enumerate(intervals):
        if minutes(interval["opens"]) >= minutes(interval["closes"]):
            raise ValidationFailed(
                f"{field}.{index}.closes",
                f"{interval['opens']}-{interval['closes']}: an interval must close after it opens.",
                code="hours_reversed",
            )
    ordered = sorted(intervals, key=lambda interval: minutes(interval["opens"]))
    for before, after in zip(ordered, ordered[1:], strict=False):
        if minutes(after["opens"]) < minutes(before["closes"]):
            index = intervals.index(after)
            raise ValidationFailed(
                f"{field}.{index}.opens",
                f"{after['opens']}-{after['closes']} overlaps {before['opens']}-{before['closes']}.",
                code="hours_overlap",
            )
    return [{"opens": interval["opens"], "closes": interval["closes"]} for interval in ordered]


def normalise(value: dict | None) -> dict | None:
    """Check a schedule as staff sent it (shape already checked) and return it in stored form.

    Every weekday is present (a missing one is closed), intervals are sorted, exceptions are
    sorted by date; a reversed or overlapping interval, a date given twice, or an exception
    that is closed with hours (or open without) is a 422 naming the field.
    """
    if value is None:
        return None
    weekly_in = value.get("weekly") or {}
    weekly = {day: _checked_day(weekly_in.get(day) or [], f"{FIELD}.weekly.{day}") for day in WEEKDAYS}
    exceptions, seen = [], set()
    for index, exception in enumerate(value.get("exceptions") or []):
        field = f"{FIELD}.exceptions.{index}"
        day, hours, closed = exception["date"], exception.get("hours") or [], bool(exception.get("closed"))
        if day in seen:
            raise ValidationFailed(
                f"{field}.date", f"{day.isoformat()} is given twice.", code="duplicate_exception_date"
            )
        seen.add(day)
        if closed == bool(hours):
            message = "A closed day has no hours." if closed else "Give the day's hours, or set closed: true."
            raise ValidationFailed(f"{field}.hours", message, code="exception_hours_mismatch")
        exceptions.append(
            {
                "date": day.isoformat(),
                "closed": closed,
                "hours": _checked_day(hours, f"{field}.hours"),
                "note": exception.get("note"),
            }
        )
    exceptions.sort(key=lambda exception: exception["date"])
    return {"weekly": weekly, "exceptions": exceptions}


def _by_date(hours: dict) -> dict[str, dict]:
    """Return the exceptions by their ISO date."""
    return {item["date"]: item for item in hours.get("exceptions") or []}


def _day(hours: dict, exceptions: dict[str, dict], day: date) -> tuple[list[dict], str | None]:
    """Return day_hours with the exceptions already indexed (the next-opening search asks many days)."""
    exception = exceptions.get(day.isoformat())
    if exception is not None:
        return ([] if exception["closed"] else exception["hours"]), exception.get("note")
    return hours["weekly"].get(WEEKDAYS[day.weekday()]) or [], None


def day_hours(hours: dict, day: date) -> tuple[list[dict], str | None]:
    """Return a local day's intervals (an exception wins over the week) and the exception's note."""
    return _day(hours, _by_date(hours), day)


def as_local(moment: datetime) -> datetime:
    """Return a naive-UTC (or aware) moment on the city's clock."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(clock.zone())


def is_open(hours: dict | None, moment: datetime) -> bool:
    """Whether the station is open at a moment (naive UTC or aware); unknown hours count as open."""
    if hours is None:
        return True
    local = as_local(moment)
    now = local.hour * 60 + local.minute
    intervals, _ = day_hours(hours, local.date())
    return any(minutes(item["opens"]) <= now < minutes(item["closes"]) for item in intervals)


def _at(day: date, hhmm: str) -> datetime:
    """Return the aware local moment of "HH:MM" on a day ("24:00" is the next midnight)."""
    return datetime.combine(day, time(), tzinfo=clock.zone()) + timedelta(minutes=minutes(hhmm))


def next_opening(hours: dict | None, moment: datetime) -> datetime | None:
    """Return when the station next opens after a moment (aware, local), or None if not within a year.

    An interval that only continues an open one (12:00-14:00 after 08:00-12:00, or 00:00 after
    a day open to 24:00) is not an opening.
    """
    if hours is None:
        return None
    local = as_local(moment)
    now = local.hour * 60 + local.minute
    exceptions = _by_date(hours)
    # Past the last exception the week repeats: eight more days show every opening there is.
    last = max((date.fromisoformat(text) for text in exceptions), default=local.date())
    horizon = min(LOOKAHEAD_DAYS, max((last - local.date()).days, 0) + 8)
    previous = _day(hours, exceptions, local.date() - timedelta(days=1))[0]
    for offset in range(horizon):
        day = local.date() + timedelta(days=offset)
        intervals = _day(hours, exceptions, day)[0]
        closes = {minutes(item["closes"]) for item in intervals}
        for interval in intervals:
            opens = minutes(interval["opens"])
            if offset == 0 and opens <= now:
                continue
            continued = opens in closes if opens else any(item["closes"] == "24:00" for item in previous)
            if not continued:
                return _at(day, interval["opens"])
        previous = intervals
    return None


def status(hours: dict | None, moment: datetime | None = None) -> dict:
    """Return what a resident sees: open now, today's hours (and note), the next opening (naive UTC).

    With no structured hours every value is None: unknown, not closed.
    """
    if hours is None:
        return {"open_now": None, "today_hours": None, "today_note": None, "next_opening": None}
    local = as_local(moment) if moment is not None else clock.local_now()
    today, note = day_hours(hours, local.date())
    opening = next_opening(hours, local)
    return {
        "open_now": is_open(hours, local),
        "today_hours": today,
        "today_note": note,
        "next_opening": None if opening is None else opening.astimezone(UTC).replace(tzinfo=None),
    }


def _span(intervals: list[dict]) -> str:
    """Return a day's intervals as text: 08:30-12:00, 14:00-17:30."""
    return ", ".join(f"{item['opens']}-{item['closes']}" for item in intervals)


def describe(hours: dict) -> str:
    """Render the weekly hours as people write them: 周一至周五 08:30-12:00, 14:00-17:30；周六 09:00-12:00."""
    groups: list[tuple[int, int, str]] = []  # first weekday, last weekday, the shared hours
    for index, day in enumerate(WEEKDAYS):
        span = _span(hours["weekly"].get(day) or [])
        if groups and groups[-1][2] == span and groups[-1][1] == index - 1:
            groups[-1] = (groups[-1][0], index, span)
        else:
            groups.append((index, index, span))
    parts = []
    for first, last, span in groups:
        if not span:
            continue
        days = WEEKDAY_NAMES[first] if first == last else f"{WEEKDAY_NAMES[first]}至{WEEKDAY_NAMES[last]}"
        days = "每天" if (first, last) == (0, 6) else days
        parts.append(f"{days} {span}")
    text = "；".join(parts) or "暂停服务"
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def local_text(moment: datetime) -> str:
    """Return a moment as a resident reads it on the city's clock: 12月7日（周一）08:30."""
    local = as_local(moment)
    return f"{local.month}月{local.day}日（{WEEKDAY_NAMES[local.weekday()]}）{local:%H:%M}"
