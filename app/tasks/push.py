"""Push tasks on the `push` queue: fan-outs, sends, an application's news, a record's outcome, the sweeper."""

from flask import current_app
from rq import Retry

from app.queues import task
from app.services.push import batch_send, fan_out, records, send, senders, sweeper

# A fan-out or a notice is safe to repeat (the push rows' unique key sees to that): retry it.
MAKE_RETRY = Retry(max=3, interval=[30, 120, 600])
# Seconds before each retry of a send (backoff); with more retries RQ repeats the first wait.
SEND_RETRY_WAITS = send.RETRY_WAITS


def send_retry() -> Retry | None:
    """Return RQ's Retry for a send: PUSH_MAX_ATTEMPTS tries in all, backing off."""
    retries = current_app.config["PUSH_MAX_ATTEMPTS"] - 1
    # RQ takes the waits from the end of the list: give it exactly one per retry.
    return Retry(max=retries, interval=list(SEND_RETRY_WAITS[:retries])) if retries > 0 else None


@task("push", retry=MAKE_RETRY)
def match_and_push(job_id: int) -> dict:
    """Create and enqueue the job_match pushes of a published job (safe to run again)."""
    return fan_out.fan_out_job(job_id)


# A finished send's RQ job is deleted at once: the push row holds the outcome, and keeping
# tens of thousands of results (and their registry) costs Redis writes on every send.
@task("push", retry=send_retry, result_ttl=0)
def send_push(push_id: int) -> str:
    """Send one push; raises to be retried (rate limit, network) while attempts remain."""
    return send.send(push_id)


# A batch is safe to repeat too: it claims only pushes still pending.
@task("push", retry=MAKE_RETRY, result_ttl=0)
def send_batch(push_ids: list[int]) -> dict:
    """Send a batch of pushes at once; one that must be retried gets a send_push job of its own."""
    return batch_send.send_batch(push_ids)


@task("push", retry=MAKE_RETRY)
def notify_application(application_id: int, status: str) -> int:
    """Push an application's new status to the applicant."""
    return records.notify_application(application_id, status)


@task("push", retry=MAKE_RETRY)
def notify_record(
    resident_id: int,
    subject: str,
    object_key: str,
    result: str,
    note: str = "",
    page: str = "",
    sms_first: bool = False,
) -> int:
    """Push a record's outcome (a registration, a certification, a claim) to its person."""
    return records.notify_record(resident_id, subject, object_key, result, note, page, sms_first)


@task("push", retry=MAKE_RETRY)
def notify_check_in_follow_up(check_in_id: int) -> int:
    """Push a served check-in's open follow-up to its person (once per check-in)."""
    return senders.notify_check_in_follow_up(check_in_id)


@task("push", retry=MAKE_RETRY)
def notify_planned_visit(planned_visit_id: int) -> int:
    """Push a planned visit to the members of its household (once per person and visit)."""
    return senders.notify_planned_visit(planned_visit_id)


@task("push", retry=MAKE_RETRY)
def notify_visit_needs(visit_id: int) -> int:
    """Push "your needs were recorded" to the people whose needs a visit recorded (once each)."""
    return senders.notify_visit_needs(visit_id)


@task("push")
def sweep_sends() -> dict:
    """Retry or fail the pushes a dead worker left `sending`; enqueue again sends lost with Redis."""
    return sweeper.sweep()
