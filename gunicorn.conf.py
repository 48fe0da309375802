"""gunicorn settings for production and the benchmarks: `gunicorn -c gunicorn.conf.py wsgi:app`.

Workers and the bind address come from the command line or GUNICORN_CMD_ARGS as usual; this
file adds what the app needs around a worker's life.
"""

import gc
import glob
import os


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


# Prometheus multiprocess mode (app/metrics.py): with PROMETHEUS_MULTIPROC_DIR set, every worker
# writes its metrics to files there, one set per pid. The directory is this gunicorn's alone.
METRIC_FILES = ("counter_*.db", "gauge_*.db", "histogram_*.db", "summary_*.db")


def on_starting(server):
    """Forget the metric files of an earlier run: their counters would be added to this one's."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    for pattern in METRIC_FILES:  # only prometheus_client's files, whatever else lives there
        for path in glob.glob(os.path.join(directory, pattern)):
            os.remove(path)


def child_exit(server, worker):
    """Drop a finished worker's live gauges (its database pool), keeping its counters in the sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
