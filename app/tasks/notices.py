"""Notices' background work: pushing a published notice to its audience (docs/NOTICES.md)."""

from app.queues import task
from app.services.notices import pushing


@task("push")
def push_notice(notice_id: int) -> int:
    """Push a published notice to the residents of its audience who may receive it; return the rows."""
    return pushing.push_notice(notice_id)
