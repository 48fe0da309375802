"""Placement follow-ups' scheduled work: the daily run (docs/PLACEMENTS.md)."""

from app.queues import task
from app.services.placements import asking, schedule


@task("default")
def run_daily() -> dict:
    """Schedule new placements' follow-ups, ask those due, hand the unanswered to grid workers."""
    return asking.run()


@task("default")
def schedule_new() -> int:
    """Write the follow-ups of placements that have none yet (may be enqueued after a hire)."""
    return schedule.schedule()
