"""Housekeeping tasks on the `default` queue, and the schedule `flask cron` runs them on."""

import contextlib
from datetime import timedelta

from app import queue_rescue, queues
from app.common.clock import local_day
from app.errors import APIError
from app.queues import TASKS, task
from app.services.grid import snapshots
from app.services.jobs import posts
from app.services.people import ageing, console_sessions, tokens
from app.services.push import subscriptions
from app.services.stations import check_ins
from app.tasks import claims, credibility, exchange, notices, placements, policies, programme, registrations  # noqa: F401  (declares the tasks SCHEDULE names, and notices.push_notice)

# (task name, seconds between runs)
SCHEDULE = (
    ("maintenance.expire_jobs", 300),
    ("maintenance.purge_expired_tokens", 24 * 3600),
    ("maintenance.purge_console_sessions", 24 * 3600),
    ("maintenance.purge_qr_token_uses", 3600),
    # This month's row is the statistics' "today" (as of its run): 15 minutes old at most, for
    # about 10 s of database time a run at Huangshan scale (docs/STATS.md).
    ("maintenance.snapshot_ledger", 900),
    ("maintenance.reevaluate_ledger", 24 * 3600),
    ("maintenance.flush_outbox", 60),
    ("maintenance.purge_outbox", 24 * 3600),
    ("push.sweep_sends", 60),
    ("exports.purge_exports", 600),
    # 失业登记 follow-ups: reminders before a registration lapses, and its end after (docs/REGISTRATIONS.md).
    ("registrations.follow_up_unemployment", 24 * 3600),
    # Deletion requests: retry a failed one, anonymise ledger records past their retention.
    ("people.sweep_deletions", 24 * 3600),
    # Certifications: renewal reminders and expiry; long-term unemployment (docs/REGISTRATIONS.md).
    ("certifications.run_daily", 24 * 3600),
    # Policies find people: all in force over the ledger, as ages and day counts move (docs/POLICIES.md).
    ("policies.match_all", 24 * 3600),
    # Claims: overdue stages and ended public notices counted for the queues (docs/POLICIES.md).
    ("claims.run_daily", 24 * 3600),
    # Placement follow-ups at 3 and 6 months: schedule, ask, hand to the grid (docs/PLACEMENTS.md).
    ("placements.run_daily", 24 * 3600),
    # The provincial exchange: stuck batches taken back, records past their backoff sent (docs/EXCHANGE.md).
    ("exchange.sweep", 60),
    # Reconciliation: yesterday's records counted on both sides, differences listed (docs/EXCHANGE.md).
    ("exchange.reconcile", 24 * 3600),
    # Jobs the province publishes near Huangshan: read from the feed's cursor (docs/EXCHANGE.md).
    ("exchange.pull_jobs", 300),
    # Key-group lists the province sends: residents matched, the others to the grid (docs/EXCHANGE.md).
    ("exchange.pull_key_group_lists", 3600),
    # Employer credibility: the rows events marked stale, a bounded batch a run (docs/PROGRAMME.md).
    ("credibility.recompute_stale", 300),
    # Compliance: the plan's rules over the city, gaps opened and closed with since-when (docs/PROGRAMME.md).
    ("programme.check_compliance", 3600),
    # The weekly compliance digest: sent by the week's first run (Monday), once per week and admin.
    ("programme.send_compliance_digests", 3600),
    # Circle filings accepted for a later day: in force within the hour their day begins (docs/PROGRAMME.md).
    ("programme.apply_filings", 3600),
)


@task("default")
def purge_expired_tokens(older_than_days: int = 7) -> int:
    """Delete tokens that expired or were revoked more than `older_than_days` ago."""
    return tokens.purge_expired_tokens(older_than_days)


@task("default")
def purge_console_sessions(older_than_days: int = 7) -> int:
    """Delete console sessions that expired or were revoked more than `older_than_days` ago."""
    return console_sessions.purge_ended_sessions(older_than_days)


@task("default")
def expire_jobs() -> int:
    """Mark jobs past valid_until expired and take them out of search (search filters them anyway)."""
    return posts.expire_jobs()


@task("default")
def purge_qr_token_uses(older_than_hours: int = 24) -> int:
    """Forget which rotating QR codes were used once they are long expired (and old push reports)."""
    subscriptions.purge_subscription_reports()
    return check_ins.purge_token_uses(older_than_hours)


@task("default")
def snapshot_ledger(month: str | None = None) -> int:
    """Write the ledger snapshot of a month (default: this month, after freezing the last one).

    Returns how many communities the month has rows for.
    """
    if month is None:
        previous = (local_day().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        with contextlib.suppress(APIError):  # frozen already
            snapshots.snapshot(previous)  # the past month's last run, once, early in the new month
    return snapshots.snapshot(month)


@task("default")
def flush_outbox() -> int:
    """Enqueue the tasks whose commit found the queue down, and those a queue failover lost (the outbox)."""
    return queues.flush_outbox() + queue_rescue.rescue_lost_tasks()


@task("default")
def purge_outbox(older_than_days: int | None = None) -> int:
    """Delete outbox rows enqueued more than OUTBOX_RETENTION_DAYS ago."""
    return queues.purge_outbox(older_than_days)


@task("default")
def reevaluate_ledger() -> dict:
    """Re-evaluate what ages without a status change: zero-employment flags, graduates' periods (daily)."""
    return ageing.reevaluate()


def build_cron(connection):
    """Return an RQ CronScheduler that enqueues every SCHEDULE task on its queue."""
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=connection, name="employment-circle-cron")
    for name, interval in SCHEDULE:
        scheduler.register(TASKS[name].func, queue_name=TASKS[name].queue, interval=interval)
    return scheduler
