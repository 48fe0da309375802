#!/usr/bin/env bash
# A local Sentinel-managed Redis for development and tests: a primary, a replica and three
# Sentinels watching service "ec-queue" (quorum 2), all on 127.0.0.1, nothing persisted.
#
#   scripts/redis-sentinel.sh start  [DIR]  start it (pid files, logs, configs under DIR,
#                                           default /tmp/redis-sentinel-6390)
#   scripts/redis-sentinel.sh stop   [DIR]  stop the servers this script started in DIR (their pid files)
#   scripts/redis-sentinel.sh status [DIR]  print the primary the Sentinels name, and each server's role
#
# Ports: SENTINEL_REDIS_PORTS (default "6390 6391": the first starts as primary) and
# SENTINEL_PORTS (default "26390 26391 26392").
# Idempotent: `start` on a running set does nothing; a server that died is started again as a
# replica of whichever primary the Sentinels name now (after a failover that is the other one).
# Point the app at it with QUEUE_REDIS_URL=redis+sentinel://127.0.0.1:26390,127.0.0.1:26391,127.0.0.1:26392/ec-queue
set -euo pipefail

ACTION="${1:-start}"
DIR="${2:-${REDIS_SENTINEL_DIR:-/tmp/redis-sentinel-6390}}"
HOST=127.0.0.1
SERVICE=ec-queue
read -r -a REDIS_PORTS <<<"${SENTINEL_REDIS_PORTS:-6390 6391}"
read -r -a SENTINELS <<<"${SENTINEL_PORTS:-26390 26391 26392}"

running() {  # running PORT: the server this script started on PORT is alive
    local pidfile="$DIR/$1/redis.pid"
    [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

primary() {  # print "HOST PORT" of the primary a running Sentinel names (nothing if none answers)
    local port answer
    for port in "${SENTINELS[@]}"; do
        running "$port" || continue
        answer=$(redis-cli -h "$HOST" -p "$port" sentinel get-master-addr-by-name "$SERVICE" 2>/dev/null) || continue
        [[ $(wc -l <<<"$answer") == 2 ]] && { tr '\n' ' ' <<<"$answer" | sed 's/ $//'; return; }
    done
    return 0  # none answers: not a failure (set -e)
}

wait_for() {  # wait_for TRIES COMMAND...: retry COMMAND every 0.1 s; false if it never succeeds
    local tries="$1"
    shift
    for _ in $(seq "$tries"); do "$@" && return 0; sleep 0.1; done
    return 1
}

start_redis() {  # start_redis PORT [PRIMARY_HOST PRIMARY_PORT]
    local port="$1"
    shift
    local replicaof=()
    [[ $# == 2 ]] && replicaof=(--replicaof "$1" "$2")
    redis-server --port "$port" --bind "$HOST" --daemonize yes \
        --dir "$DIR/$port" --pidfile "$DIR/$port/redis.pid" --logfile "$DIR/$port/redis.log" \
        --appendonly no --save "" "${replicaof[@]}"
}

start_sentinel() {  # start_sentinel PORT PRIMARY_HOST PRIMARY_PORT: a fresh config of its own
    local port="$1" conf="$DIR/$1/sentinel.conf"
    # Sentinel rewrites this file (what it learns, the failovers): it must be writable and its own.
    cat >"$conf" <<EOF
port $port
bind $HOST
daemonize yes
pidfile $DIR/$port/redis.pid
logfile $DIR/$port/sentinel.log
dir $DIR/$port
sentinel monitor $SERVICE $2 $3 2
sentinel down-after-milliseconds $SERVICE 2000
sentinel failover-timeout $SERVICE 10000
sentinel parallel-syncs $SERVICE 1
EOF
    redis-server "$conf" --sentinel
}

stopped() { ! running "$1"; }

answers() { redis-cli -h "$HOST" -p "$1" ping >/dev/null 2>&1; }

replica_attached() {  # replica_attached HOST PORT: the primary there has an online replica
    redis-cli -h "$1" -p "$2" info replication 2>/dev/null | grep -q '^slave0:.*state=online'
}

sentinels_agree() {  # every Sentinel names PRIMARY, knows the replica and the two other Sentinels
    local port state
    for port in "${SENTINELS[@]}"; do
        [[ $(redis-cli -h "$HOST" -p "$port" sentinel get-master-addr-by-name "$SERVICE" 2>/dev/null | tr '\n' ' ') \
            == "$1 $2 " ]] || return 1
        state=$(redis-cli -h "$HOST" -p "$port" sentinel master "$SERVICE" 2>/dev/null | paste - -) || return 1
        grep -qx $'num-slaves\t1' <<<"$state" && grep -qx $'num-other-sentinels\t2' <<<"$state" || return 1
    done
}

start() {
    command -v redis-server >/dev/null && command -v redis-cli >/dev/null \
        || { echo "redis-server and redis-cli are needed" >&2; exit 2; }
    local port current
    for port in "${REDIS_PORTS[@]}" "${SENTINELS[@]}"; do mkdir -p "$DIR/$port"; done
    current=$(primary)
    read -r primary_host primary_port <<<"${current:-$HOST ${REDIS_PORTS[0]}}"
    for port in "${REDIS_PORTS[@]}"; do
        running "$port" && continue
        if [[ "$port" == "$primary_port" ]]; then start_redis "$port"; else start_redis "$port" "$primary_host" "$primary_port"; fi
    done
    for port in "${REDIS_PORTS[@]}"; do  # its own server, not one of another set on the same port
        wait_for 50 running "$port" && wait_for 50 answers "$port" \
            || { echo "Redis on $port did not start (port taken? see $DIR/$port)" >&2; exit 1; }
    done
    # The replica first, then the Sentinels: their first INFO of the primary then finds it.
    wait_for 100 replica_attached "$primary_host" "$primary_port" \
        || { echo "no replica attached to $primary_host:$primary_port (see $DIR)" >&2; exit 1; }
    for port in "${SENTINELS[@]}"; do
        running "$port" || start_sentinel "$port" "$primary_host" "$primary_port"
    done
    for port in "${SENTINELS[@]}"; do
        wait_for 50 running "$port" \
            || { echo "Sentinel on $port did not start (port taken? see $DIR/$port)" >&2; exit 1; }
    done
    # The Sentinels find one another through the primary (a hello every 2 s): without that no
    # quorum, so no failover.
    wait_for 150 sentinels_agree "$primary_host" "$primary_port" \
        || { echo "the Sentinels do not agree on $primary_host:$primary_port (see $DIR)" >&2; exit 1; }
    echo "Redis Sentinel service $SERVICE up: primary $primary_host:$primary_port," \
        "Sentinels on $HOST:${SENTINELS[*]} (files in $DIR)"
}

stop() {
    local port
    for port in "${SENTINELS[@]}" "${REDIS_PORTS[@]}"; do
        if running "$port"; then kill "$(cat "$DIR/$port/redis.pid")"; fi
    done
    for port in "${SENTINELS[@]}" "${REDIS_PORTS[@]}"; do
        wait_for 50 stopped "$port" || true
        rm -f "$DIR/$port/redis.pid"
    done
    echo "Redis Sentinel set in $DIR stopped"
}

status() {
    local current port
    current=$(primary)
    echo "primary of $SERVICE: ${current:-unknown (no Sentinel answers)}"
    for port in "${REDIS_PORTS[@]}"; do
        echo "$HOST:$port $(redis-cli -h "$HOST" -p "$port" role 2>/dev/null | head -1 || true)"
    done
    [[ -n "$current" ]]
}

case "$ACTION" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status [DIR]" >&2; exit 2 ;;
esac
