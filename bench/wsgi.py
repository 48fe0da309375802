"""The bench app for gunicorn: the production app on the benchmark's data, plus the baselines."""

from bench.common import bench_app

app = bench_app()

# After bench_app(): the app's settings are read from the environment it sets, on first import.
from bench.baselines import bp  # noqa: E402

app.register_blueprint(bp)
