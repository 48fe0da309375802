#!/usr/bin/env bash
# The node-loss drill (issue 25) from nothing: a fresh local cluster (scripts/cluster.sh), the mini
# city generated into it through the balancer, the drill (bench/drill.py), the cluster stopped.
# Exit status: the drill's (0: every check held). Report: $DRILL_OUT (default bench/results/drill.json).
#
#   scripts/cluster-drill.sh [DIR]      DIR defaults to /tmp/ec-cluster-drill (removed first)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${1:-/tmp/ec-cluster-drill}"
OUT="${DRILL_OUT:-bench/results/drill.json}"
PY=.venv/bin/python

cleanup() { bash scripts/cluster.sh down "$DIR" >/dev/null 2>&1 || true; }
trap cleanup EXIT
# A time limit (.ci/run's `timeout`) stops this script with TERM: the cluster goes too, as its
# processes run in sessions of their own that the signal does not reach.
trap 'exit 143' TERM INT

cleanup
rm -rf "$DIR"
started=$(date +%s)
CLUSTER_PARTS="db redis" bash scripts/cluster.sh up "$DIR"
# The mini city (3,000 residents, 3 stations, a grid worker's 150 households) through HAProxy; the
# generator migrates first, so the app processes find the schema in place.
mkdir -p "$DIR/bench"
BENCH_ENV_FILE="$DIR/cluster.env" BENCH_RESULTS_DIR="$DIR/bench" "$PY" -m bench.generate --scale mini \
    >"$DIR/generate.log" 2>&1 || { tail -30 "$DIR/generate.log" >&2; exit 1; }
bash scripts/cluster.sh up "$DIR"
echo "cluster-drill: cluster and data ready in $(( $(date +%s) - started )) s"
BENCH_ENV_FILE="$DIR/cluster.env" BENCH_RESULTS_DIR="$DIR/bench" "$PY" -m bench.drill --dir "$DIR" --out "$OUT"
