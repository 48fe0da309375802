"""The provincial exchange's tasks on the `exchange` queue: the relay after each change, and its sweep."""

from app.queues import task
from app.services.exchange import key_group_lists, province_jobs
from app.services.exchange import reconcile as reconcile_service
from app.services.exchange import relay as relay_service


@task("exchange")
def relay() -> dict:
    """Send the province what is due (enqueued after each change's commit; a repeat finds nothing)."""
    return relay_service.relay()


@task("exchange")
def sweep() -> dict:
    """Take back batches a dead worker left `sending`, then send what is due (records past their backoff)."""
    return relay_service.sweep()


@task("exchange")
def pull_jobs() -> dict:
    """Read the province's job feed from its cursor: near-Huangshan jobs published, closed ones closed."""
    return province_jobs.pull_jobs()


@task("exchange")
def reconcile(day: str | None = None) -> dict:
    """Count a day's records (YYYY-MM-DD, default yesterday) on both sides and store the differences."""
    from datetime import date

    return reconcile_service.reconcile(date.fromisoformat(day) if day else None)


@task("exchange")
def pull_key_group_lists() -> dict:
    """Read the province's key-group lists from their cursor: match residents, hand the rest to the grid."""
    return key_group_lists.pull()
