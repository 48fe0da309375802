"""Registrations' scheduled work: the daily follow-up run of unemployment registrations."""

from app.queues import task
from app.services.registrations import follow_ups


@task("default")
def follow_up_unemployment() -> dict:
    """Remind the registered unemployed whose registration lapses soon; end those that lapsed."""
    return follow_ups.run()
