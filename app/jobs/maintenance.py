"""Housekeeping jobs for the `default` queue, and the schedule `flask cron` runs them on."""

import contextlib
from datetime import timedelta

from app.services.accounts import purge_expired_tokens as purge

# (job function name, seconds between runs)
SCHEDULE = (
    ("expire_jobs", 300),
    ("purge_expired_tokens", 24 * 3600),
    ("purge_qr_token_uses", 3600),
    ("snapshot_ledger", 3600),
)


def purge_expired_tokens(older_than_days: int = 7) -> int:
    """Delete tokens that expired or were revoked more than `older_than_days` ago."""
    return purge(older_than_days)


def expire_jobs() -> int:
    """Mark jobs past valid_until expired and take them out of search (search filters them anyway)."""
    from app.services.jobs import expire_jobs as expire

    return expire()


def purge_qr_token_uses(older_than_hours: int = 24) -> int:
    """Forget which rotating QR codes were used once they are long expired (and old push reports)."""
    from app.services.check_ins import purge_token_uses
    from app.services.push import purge_subscription_reports

    purge_subscription_reports()
    return purge_token_uses(older_than_hours)


def snapshot_ledger(month: str | None = None) -> int:
    """Write the ledger snapshot of a month (default: this month, after freezing the last one).

    Returns how many communities the month has rows for.
    """
    from app.errors import APIError
    from app.services.clock import local_day
    from app.services.ledger import snapshot

    if month is None:
        previous = (local_day().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        with contextlib.suppress(APIError):  # frozen already
            snapshot(previous)  # the past month's last run, once, early in the new month
    return snapshot(month)


def build_cron(connection):
    """Return an RQ CronScheduler that enqueues every SCHEDULE job on the default queue."""
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=connection, name="employment-circle-cron")
    for name, interval in SCHEDULE:
        scheduler.register(globals()[name], queue_name="default", interval=interval)
    return scheduler
