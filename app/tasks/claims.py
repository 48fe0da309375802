"""Claims' scheduled work: the daily run over the review stages (docs/POLICIES.md, section C)."""

from app.queues import task
from app.services.policies import claim_review


@task("default")
def run_daily() -> dict:
    """Count the claims overdue at each stage and the public notices that ended (moves none)."""
    return claim_review.run_daily()
