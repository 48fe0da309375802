"""When a push may go: now, or at the end of the person's quiet hours (on the city's clock)."""

from datetime import UTC, datetime, timedelta

from app.common import clock


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def send_after(prefs: dict, now: datetime | None = None) -> tuple[datetime, bool]:
    """Return when a push made now may go (naive UTC) and whether it waits for the quiet hours' end."""
    local = (now or clock.local_now()).astimezone(clock.zone())
    start, end = _minutes(prefs["quiet_start"]), _minutes(prefs["quiet_end"])
    minute = local.hour * 60 + local.minute
    quiet = (start <= minute or minute < end) if start > end else (start <= minute < end)
    if not quiet or start == end:
        return _utc(local), False
    wake = local.replace(hour=end // 60, minute=end % 60, second=0, microsecond=0)
    if wake <= local:
        wake += timedelta(days=1)
    return _utc(wake), True


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
