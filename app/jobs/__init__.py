"""RQ job functions: importable, free of request state, each loading ids and calling a service.

Workers run them inside an app context (`flask worker`); in the embedded default and in
tests the queues are synchronous, so a job runs inline where it is enqueued.
"""

from app.extensions import get_queue


def enqueue(queue: str, func, *args, **kwargs):
    """Put `func(*args, **kwargs)` on the named queue; call after the transaction commits."""
    return get_queue(queue).enqueue(func, *args, **kwargs)
