"""Employer credibility: the stale rows recomputed in bounded batches (services/jobs/credibility.py)."""

from app.queues import task
from app.services.jobs import credibility


@task("default")
def recompute_stale(batch: int | None = None) -> int:
    """Recompute the credibility of employers marked stale since their last computation."""
    return credibility.recompute_stale(batch)
