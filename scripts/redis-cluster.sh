#!/usr/bin/env bash
# A local Redis Cluster for development and tests: 3 primaries + 3 replicas on 127.0.0.1:7100-7105.
#
#   scripts/redis-cluster.sh start [DIR]   start it (data under DIR, default /tmp/redis-cluster-7100)
#   scripts/redis-cluster.sh stop  [DIR]   stop the servers this script started in DIR (their pid files)
#   scripts/redis-cluster.sh status [DIR]  print CLUSTER INFO's state
#
# Idempotent: `start` on a running, formed cluster does nothing; `stop` only kills the pids it wrote.
# Point the app at it with REDIS_URL=redis+cluster://127.0.0.1:7100 (notes: docs of issue 25).
set -euo pipefail

ACTION="${1:-start}"
DIR="${2:-${REDIS_CLUSTER_DIR:-/tmp/redis-cluster-7100}}"
HOST=127.0.0.1
PORTS=(7100 7101 7102 7103 7104 7105)

running() {  # running PORT: the server this script started on PORT is alive
    local pidfile="$DIR/$1/redis.pid"
    [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

cluster_ok() {
    redis-cli -h "$HOST" -p "${PORTS[0]}" cluster info 2>/dev/null | grep -q '^cluster_state:ok'
}

start() {
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null \
        || { echo "redis-server and redis-cli are needed" >&2; exit 2; }
    for port in "${PORTS[@]}"; do
        mkdir -p "$DIR/$port"
        if running "$port"; then continue; fi
        if redis-cli -h "$HOST" -p "$port" ping >/dev/null 2>&1; then
            # Not ours (no pid file here): another cluster, whose data a test would flush.
            echo "port $port is taken by a Redis this script did not start in $DIR" >&2
            exit 1
        fi
        redis-server --port "$port" --bind "$HOST" --daemonize yes \
            --dir "$DIR/$port" --pidfile "$DIR/$port/redis.pid" --logfile "$DIR/$port/redis.log" \
            --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
            --appendonly no --save ""
    done
    for port in "${PORTS[@]}"; do  # wait until each answers (a few tenths of a second)
        for _ in $(seq 50); do
            redis-cli -h "$HOST" -p "$port" ping >/dev/null 2>&1 && break
            sleep 0.1
        done
    done
    if ! cluster_ok; then
        local known
        known=$(redis-cli -h "$HOST" -p "${PORTS[0]}" cluster info | sed -n 's/^cluster_known_nodes:\([0-9]*\).*/\1/p')
        if [[ "$known" == "1" ]]; then  # never formed: create it
            redis-cli --cluster create $(printf "$HOST:%s " "${PORTS[@]}") --cluster-replicas 1 --cluster-yes >"$DIR/create.log"
        fi
        for _ in $(seq 100); do cluster_ok && break; sleep 0.1; done
        cluster_ok || { echo "the cluster did not reach state ok (see $DIR)" >&2; exit 1; }
    fi
    # Every node must agree before a client maps the slots (the replicas learn last).
    for port in "${PORTS[@]}"; do
        for _ in $(seq 100); do
            redis-cli -h "$HOST" -p "$port" cluster info | grep -q '^cluster_state:ok' && break
            sleep 0.1
        done
    done
    echo "Redis Cluster up on $HOST:${PORTS[0]}-${PORTS[-1]} (data in $DIR)"
}

stop() {
    for port in "${PORTS[@]}"; do
        local pidfile="$DIR/$port/redis.pid"
        if running "$port"; then
            kill "$(cat "$pidfile")"
        fi
    done
    for port in "${PORTS[@]}"; do
        for _ in $(seq 50); do running "$port" || break; sleep 0.1; done
        rm -f "$DIR/$port/redis.pid"
    done
    echo "Redis Cluster in $DIR stopped"
}

case "$ACTION" in
    start) start ;;
    stop) stop ;;
    status) redis-cli -h "$HOST" -p "${PORTS[0]}" cluster info | grep '^cluster_state' ;;
    *) echo "usage: $0 start|stop|status [DIR]" >&2; exit 2 ;;
esac
