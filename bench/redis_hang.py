"""A hung Redis under load, by hand: searchers fill the server's threads while a prober times the rest.

Start the API under gunicorn against a Redis you can freeze (`redis-server --port 6390`, then
`kill -STOP <pid>` during a run and `kill -CONT` after), with the demo data loaded
(`flask dev-setup`); then, once with Redis up and once frozen:

    python -m bench.redis_hang --url http://127.0.0.1:5090 --searchers 40 --seconds 15

Prints p50/p95/max and the status codes of nearby search, a job's detail, /healthz and a staff
login (docs/PERFORMANCE.md has the figures of issue 16's run).
"""

import argparse
import statistics
import threading
import time

import requests

DEMO_LOGIN = {"username": "demo-operator", "password": "demo-pass-2026"}


def main() -> None:
    """Run the searchers and the prober for the given time and print one line per kind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5090")
    parser.add_argument("--searchers", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    stop = time.monotonic() + args.seconds
    timings: dict[str, list[float]] = {"search": [], "job": [], "healthz": [], "login": []}
    codes: dict[str, dict] = {kind: {} for kind in timings}
    lock = threading.Lock()

    def hit(kind, request):
        started = time.perf_counter()
        try:
            code = request().status_code
        except requests.RequestException as error:
            code = type(error).__name__
        with lock:
            timings[kind].append(time.perf_counter() - started)
            codes[kind][code] = codes[kind].get(code, 0) + 1

    def searcher():
        session = requests.Session()
        while time.monotonic() < stop:
            hit("search", lambda: session.get(f"{args.url}/api/v1/jobs?lat=29.716&lng=118.318", timeout=30))

    def prober():
        session = requests.Session()
        while time.monotonic() < stop:
            hit("job", lambda: session.get(f"{args.url}/api/v1/jobs/1", timeout=30))
            hit("healthz", lambda: session.get(f"{args.url}/healthz", timeout=30))
            hit("login", lambda: session.post(f"{args.url}/api/v1/auth/login", json=DEMO_LOGIN, timeout=30))
            time.sleep(0.2)

    threads = [threading.Thread(target=searcher) for _ in range(args.searchers)]
    threads.append(threading.Thread(target=prober))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for kind, values in timings.items():
        if not values:
            continue
        values.sort()
        p95 = values[max(0, int(len(values) * 0.95) - 1)]
        print(
            f"{kind:8s} n={len(values):6d} p50={statistics.median(values):.3f}s "
            f"p95={p95:.3f}s max={values[-1]:.3f}s codes={codes[kind]}"
        )


if __name__ == "__main__":
    main()
