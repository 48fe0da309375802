"""Export tasks on the `default` queue: write a large export's file, purge expired files."""

from app.queues import task
from app.services.exports import jobs


@task("default")
def run_export(job_id: int) -> dict:
    """Write a queued export's file, reporting progress; a failure is kept on the job (no retry)."""
    return jobs.run_export(job_id)


@task("default")
def purge_exports() -> dict:
    """Delete export files whose links expired and fail exports whose worker died."""
    return jobs.purge_exports()
