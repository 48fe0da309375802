"""The provincial exchange's tasks on the `exchange` queue: the relay after each change, and its sweep."""

from app.queues import task
from app.services.exchange import relay as relay_service


@task("exchange")
def relay() -> dict:
    """Send the province what is due (enqueued after each change's commit; a repeat finds nothing)."""
    return relay_service.relay()


@task("exchange")
def sweep() -> dict:
    """Take back batches a dead worker left `sending`, then send what is due (records past their backoff)."""
    return relay_service.sweep()
