"""Push jobs for the `push` queue: the fan-out of a new job, one send, an application update."""

from app.services import push


def match_and_push(job_id: int) -> dict:
    """Create and enqueue the job_match pushes of a published job (safe to run again)."""
    return push.fan_out_job(job_id)


def send_push(push_id: int) -> str:
    """Send one push; raises to be retried (rate limit, network) while attempts remain."""
    return push.send(push_id)


def notify_application(application_id: int, status: str) -> int:
    """Push an application's new status to the applicant."""
    return push.notify_application(application_id, status)
