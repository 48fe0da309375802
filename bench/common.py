"""What every benchmark shares: where its data lives, the app's settings, timing and results."""

import json
import math
import os
import statistics
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# BENCH_RESULTS_DIR: a run of its own (another database) keeps its manifest and results apart.
RESULTS_DIR = Path(os.environ.get("BENCH_RESULTS_DIR") or BENCH_DIR / "results")


def _deployment(path: str | None) -> dict[str, str]:
    """Read a deployment's settings file (KEY=value lines; scripts/cluster.sh writes one)."""
    if not path:
        return {}
    settings = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            settings[key.strip()] = value.strip()
    return settings


# BENCH_ENV_FILE: run against a running deployment (the local cluster: its database, both
# Redises and its secrets, so the generated people decrypt there) instead of the bench's own.
DEPLOYMENT = _deployment(os.environ.get("BENCH_ENV_FILE"))

# A database and a Redis db of their own: a benchmark never touches the demo's or the tests'.
DATABASE_URL = DEPLOYMENT.get("DATABASE_URL") or os.environ.get(
    "BENCH_DATABASE_URL", "mysql+pymysql://root@127.0.0.1:3306/ec_bench?charset=utf8mb4"
)
REDIS_URL = DEPLOYMENT.get("REDIS_URL") or os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
# The queues' Redis: the same one unless the deployment names another (a Sentinel service).
QUEUE_REDIS_URL = DEPLOYMENT.get("QUEUE_REDIS_URL") or REDIS_URL

# Production settings, with secrets made for the benchmark only (the generator encrypts
# personal data with this DATA_KEY, so every process of a run must share it).
APP_ENV = {
    "APP_CONFIG": "production",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
    "DATA_KEY": "YmVuY2gtZGF0YS1rZXktMzItYnl0ZXMtbG9uZyEhISE=",
    "WECHAT_APPID": "wx0000000000bench0",
    "WECHAT_SECRET": "bench-wechat-secret",
}
APP_ENV.update(DEPLOYMENT)  # all of it: QR_KEYS, WECHAT_API_BASE and the rest must match its processes
APP_ENV["QUEUE_REDIS_URL"] = QUEUE_REDIS_URL


def app_env(**extra: str) -> dict[str, str]:
    """Return os.environ with the benchmark's app settings (and `extra`) on top."""
    env = dict(os.environ)
    env.update(APP_ENV)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def bench_app(**overrides):
    """Create the app in production config against the benchmark's database and Redis."""
    os.environ.update(APP_ENV)
    from app import create_app

    # Given as overrides too: app.config may have been imported before the environment was set.
    settings = {
        "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "QUEUE_REDIS_URL": QUEUE_REDIS_URL,
        **{key: APP_ENV[key] for key in ("SECRET_KEY", "DATA_KEY", "WECHAT_APPID", "WECHAT_SECRET")},
    }
    return create_app("production", {**settings, **overrides})


def scenario_main(run, doc: str) -> None:
    """Run a scenario from the command line: `--scale` (default tunxi) and `--quick`."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--scale", default="tunxi")
    parser.add_argument("--quick", action="store_true")
    arguments = parser.parse_args()
    run(arguments.scale, arguments.quick)


def percentile(values: list[float], p: float) -> float:
    """Return the p-th percentile (0–100) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def latency_summary(seconds: list[float]) -> dict:
    """Return p50, p90, p95, p99 and max in milliseconds, rounded to 0.1 ms."""
    return {
        "p50_ms": round(percentile(seconds, 50) * 1000, 1),
        "p90_ms": round(percentile(seconds, 90) * 1000, 1),
        "p95_ms": round(percentile(seconds, 95) * 1000, 1),
        "p99_ms": round(percentile(seconds, 99) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1) if seconds else 0.0,
        "mean_ms": round(statistics.fmean(seconds) * 1000, 1) if seconds else 0.0,
    }


def write_result(name: str, result: dict) -> dict:
    """Print the result as one JSON line and write it to bench/results/<name>.json."""
    result = {"scenario": name, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **result}
    RESULTS_DIR.mkdir(exist_ok=True)
    line = json.dumps(result, ensure_ascii=False)
    (RESULTS_DIR / f"{name}.json").write_text(line + "\n", encoding="utf-8")
    print(line, flush=True)
    return result


def summary_row(
    figure: str, value, unit: str = "", target: str | None = None, met: bool | None = None
) -> dict:
    """Return one row of make bench's table (a scenario's summary() returns a list of them)."""
    return {"figure": figure, "value": value, "unit": unit, "target": target, "met": met}
