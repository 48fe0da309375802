"""People tasks on the `default` queue: carrying out deletion requests, and their daily sweep."""

from app.queues import task
from app.services.people import erasure


@task("default")
def erase_person(request_id: int) -> str | None:
    """Carry out one deletion request (safe to repeat); return its status."""
    request = erasure.erase(request_id)
    return request.status if request is not None else None


@task("default")
def sweep_deletions() -> dict:
    """Retry failed deletion requests; anonymise kept ledger records past their retention."""
    return erasure.sweep()
