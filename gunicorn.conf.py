"""gunicorn settings for production and the benchmarks: `gunicorn -c gunicorn.conf.py wsgi:app`.

Workers and the bind address come from the command line or GUNICORN_CMD_ARGS as usual; this
file adds what the app needs around a worker's life.
"""

import gc


def post_worker_init(worker):
    """Load the job board before the worker takes requests, so no search waits for it."""
    from app.services.jobs.search.nearby import warm_job_board

    if "job_board" not in getattr(worker.wsgi, "extensions", {}):
        return  # another app under the same config (the fake WeChat server)
    with worker.wsgi.app_context():
        warm_job_board()
    # The app and the board are loaded for good: keep the garbage collector from walking
    # them again in every full collection (a pause in whichever request triggers it).
    gc.collect()
    gc.freeze()
