#!/usr/bin/env bash
# Issue 25's benchmark from nothing (bench/scenario_cluster.py): search and check-in on one node
# (MariaDB `ec_bench_pair`, Redis db 11, nginx over 3 gunicorns) and through the local cluster's
# balancer (scripts/cluster.sh: 3 Galera nodes, 3 API processes), interleaved, on the same scale
# generated into both; the cluster lives in a directory of its own and is stopped at the end.
# Results: bench/results/cluster-<scale>.json. About 10 minutes at tunxi.
#
#   scripts/bench-cluster.sh [SCALE]     SCALE defaults to tunxi
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE="${1:-tunxi}"
DIR=/tmp/ec-cluster-bench
PY=.venv/bin/python
started=$(date +%s)

bash scripts/cluster.sh down "$DIR" >/dev/null 2>&1 || true
if ss -ltn | grep -qE "127.0.0.1:(8300|3310|3311) "; then
    echo "bench-cluster: another cluster is up (its ports are fixed): stop it first" >&2
    exit 1
fi
trap 'bash scripts/cluster.sh down "$DIR" >/dev/null 2>&1 || true' EXIT
trap 'exit 143' TERM INT
rm -rf "$DIR"
CLUSTER_PARTS="db redis" bash scripts/cluster.sh up "$DIR"
CLUSTER_BENCH_DIR="$DIR" "$PY" -m bench.scenario_cluster generate --scale "$SCALE"
bash scripts/cluster.sh up "$DIR"
CLUSTER_BENCH_DIR="$DIR" "$PY" -m bench.scenario_cluster --scale "$SCALE"
echo "bench-cluster: $(( $(date +%s) - started )) s in all"
