"""Policies' tasks: re-match people whose facts changed, match a version over the ledger, the daily run."""

from rq import Retry

from app.queues import task
from app.services.policies import matching

# Matching is safe to repeat (one match per subject and version, pushes unique): retry it.
MATCH_RETRY = Retry(max=3, interval=[30, 120, 600])


@task("default", retry=MATCH_RETRY)
def rematch_people(resident_ids: list[int]) -> dict:
    """Re-match the residents whose facts changed in one transaction (the people wing's hook)."""
    return matching.match_residents(resident_ids)


@task("default", retry=MATCH_RETRY)
def match_version(version_id: int) -> dict:
    """Match a published version over the whole ledger, or lapse a withdrawn one's matches."""
    return matching.match_version(version_id)


@task("default", retry=MATCH_RETRY)
def match_all() -> dict:
    """Match every policy in force over the whole ledger (daily: ages and day counts move)."""
    return matching.match_all()
