#!/usr/bin/env bash
# The whole scale-out layout on one machine (issue 25), as if on separate hosts:
#   - a 3-node MariaDB Galera cluster (galera-4) on 127.0.0.1:3311-3313, small buffer pools;
#   - HAProxy: 127.0.0.1:3310 sends every database connection to one Galera node at a time,
#     failing over to the next (and staying there), and 127.0.0.1:8300 balances the API;
#   - the queue Redis: a primary + a replica with three Sentinels (scripts/redis-sentinel.sh);
#   - a Redis Cluster, 3 primaries + 3 replicas, for the cache/GEO Redis (scripts/redis-cluster.sh);
#   - the fake WeChat, 3 gunicorn API processes (8301-8303), 2 RQ workers and `flask cron`,
#     each in a process group (session) of its own, all reading one settings file.
#
#   scripts/cluster.sh up     [DIR]   start what is not running, migrate once, seed the places
#   scripts/cluster.sh down   [DIR]   stop everything this script started in DIR
#   scripts/cluster.sh restart-app [DIR]   stop and start the app's processes (after a code change)
#   scripts/cluster.sh status [DIR]   one line per part
#   scripts/cluster.sh env    [DIR]   print the settings file (source it to reach the cluster)
#
# DIR defaults to /tmp/ec-cluster. Installs galera-4, rsync and haproxy from Debian when missing
# (as root). Parts: CLUSTER_PARTS="db redis app" (default all; "db redis" leaves the app out).
# docs/OPERATIONS.md "A local cluster with one command" explains the layout and the drill.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

ACTION="${1:-up}"
DIR="${2:-${CLUSTER_DIR:-/tmp/ec-cluster}}"
PARTS="${CLUSTER_PARTS:-db redis app}"
HOST=127.0.0.1
GALERA_PORTS=(3311 3312 3313)
DB_PORT=3310          # HAProxy's database front
API_PORT=8300         # HAProxy's API front
API_PORTS=(8301 8302 8303)
HAPROXY_STATS_PORT=8399
WECHAT_PORT=8310
DB_NAME=ec_cluster
REDIS_CLUSTER_PORT=7100
SENTINELS="127.0.0.1:26390,127.0.0.1:26391,127.0.0.1:26392"
VENV="$ROOT/.venv/bin"
# The Galera nodes run as Debian's mysql user when started by root: rsync's state transfer
# daemon, started by the joiner, would otherwise drop to nobody and be refused its files.
GALERA_USER=$(if [[ "$(id -u)" == 0 ]] && id mysql >/dev/null 2>&1; then echo mysql; else id -un; fi)

log() { echo "cluster: $*"; }

alive() {  # alive PIDFILE: the process it names runs
    [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

wait_for() {  # wait_for SECONDS WHAT COMMAND...: poll COMMAND every 0.2 s
    local seconds=$1 what=$2
    shift 2
    for _ in $(seq $((seconds * 5))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "cluster: $what did not come up within $seconds s (logs in $DIR)" >&2
    return 1
}

install_missing() {
    local wanted=()
    [[ -f /usr/lib/galera/libgalera_smm.so ]] || wanted+=(galera-4)
    command -v rsync >/dev/null || wanted+=(rsync)
    command -v haproxy >/dev/null || wanted+=(haproxy)
    [[ ${#wanted[@]} -eq 0 ]] && return 0
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
        echo "cluster: ${wanted[*]} missing and cannot be installed (needs root and apt-get)" >&2
        exit 2
    fi
    log "installing ${wanted[*]} from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${wanted[@]}"; }
    # Only the binary is wanted: the package's own HAProxy on its default ports stays stopped.
    service haproxy stop >/dev/null 2>&1 || true
}

# --- Galera -------------------------------------------------------------------------------

galera_cnf() {  # galera_cnf N: node N's configuration (1-based)
    local n=$1 port=${GALERA_PORTS[$(($1 - 1))]} node="$DIR/galera/g$1"
    cat <<EOF
[mysqld]
datadir=$node/data
socket=$node/mysqld.sock
pid-file=$node/mysqld.pid
log-error=$node/error.log
port=$port
bind-address=$HOST
user=$GALERA_USER
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
max_connections=400
# Small: three nodes share this machine's memory with everything else.
innodb_buffer_pool_size=96M
innodb_log_file_size=32M
innodb_flush_log_at_trx_commit=2
# Galera's own rules: row-based replication, InnoDB only, interleaved auto-increment locks.
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=/usr/lib/galera/libgalera_smm.so
wsrep_cluster_name=ec-galera
wsrep_cluster_address=gcomm://$HOST:4571,$HOST:4572,$HOST:4573
wsrep_node_name=g$n
wsrep_node_address=$HOST:457$n
wsrep_provider_options="base_port=457$n;ist.recv_addr=$HOST:458$n;gcache.size=64M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S"
wsrep_sst_method=rsync
wsrep_sst_receive_address=$HOST:459$n
wsrep_slave_threads=2
EOF
}

galera_ping() {  # galera_ping N: node N answers and is Synced (wsrep_local_state 4)
    local port=${GALERA_PORTS[$(($1 - 1))]}
    mysql -h "$HOST" -P "$port" -u root -N -e "SHOW STATUS LIKE 'wsrep_local_state'" 2>/dev/null | grep -q '4$'
}

listening() {  # listening PORT: something accepts connections on 127.0.0.1:PORT
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

galera_start() {  # galera_start N [--wsrep-new-cluster]
    local n=$1 node="$DIR/galera/g$1" port
    shift
    for port in "${GALERA_PORTS[$((n - 1))]}" "457$n"; do
        # The ports are fixed: a second cluster (another DIR) would join or fight the first.
        if listening "$port"; then
            echo "cluster: port $port is taken (another cluster running? scripts/cluster.sh status DIR)" >&2
            exit 1
        fi
    done
    mkdir -p "$node/data"
    galera_cnf "$n" >"$node/my.cnf"
    chown -R "$GALERA_USER" "$node"
    if ! runuser -u "$GALERA_USER" -- test -w "$node" 2>/dev/null && [[ "$GALERA_USER" != "$(id -un)" ]]; then
        echo "cluster: $GALERA_USER cannot reach $node: DIR must not lie under a private (0700) directory" >&2
        exit 1
    fi
    if [[ ! -d "$node/data/mysql" ]]; then
        # Every node starts from its own empty system tables; a joiner's are replaced by SST.
        mariadb-install-db --defaults-file="$node/my.cnf" --auth-root-authentication-method=normal \
            --skip-test-db >"$node/install.log" 2>&1
        chown -R "$GALERA_USER" "$node"
    fi
    setsid /usr/sbin/mariadbd --defaults-file="$node/my.cnf" "$@" >>"$node/stdout.log" 2>&1 </dev/null &
    wait_for 120 "Galera node g$n" galera_ping "$n"
}

galera_up() {
    local any_running=0 n
    for n in 1 2 3; do alive "$DIR/galera/g$n/mysqld.pid" && any_running=1; done
    for n in 1 2 3; do
        alive "$DIR/galera/g$n/mysqld.pid" && continue
        if [[ $any_running == 0 ]]; then
            # No node runs: this one starts a new cluster, the others join it (state transfer).
            sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$DIR/galera/g$n/data/grastate.dat" 2>/dev/null || true
            galera_start "$n" --wsrep-new-cluster
            any_running=1
        else
            galera_start "$n"
        fi
        log "Galera node g$n synced on $HOST:${GALERA_PORTS[$((n - 1))]}"
    done
    mysql -h "$HOST" -P "${GALERA_PORTS[0]}" -u root -e "
        CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
        CREATE USER IF NOT EXISTS 'haproxy_check'@'$HOST';" 2>/dev/null \
    || mysql -h "$HOST" -P "${GALERA_PORTS[1]}" -u root -e \
        "CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
         CREATE USER IF NOT EXISTS 'haproxy_check'@'$HOST';"
}

galera_down() {
    local n pidfile
    for n in 3 2 1; do  # the last one stopped is the one safe to bootstrap from
        pidfile="$DIR/galera/g$n/mysqld.pid"
        if alive "$pidfile"; then
            kill "$(cat "$pidfile")"
            for _ in $(seq 300); do alive "$pidfile" || break; sleep 0.2; done
        fi
    done
}

# --- HAProxy ------------------------------------------------------------------------------

haproxy_cfg() {
    cat <<EOF
global
    maxconn 4000
    pidfile $DIR/haproxy.pid
    log stdout format raw local0 notice

defaults
    log global
    timeout connect 2s
    retries 2
    option redispatch

# The database: one Galera node takes every connection (writes certify fastest on one node);
# when its check fails twice (2 s) its connections are cut and the next node takes over, and
# stays (stick table) when the first comes back, so clients do not move twice.
listen galera
    bind $HOST:$DB_PORT
    mode tcp
    timeout client 8h
    timeout server 8h
    option mysql-check user haproxy_check post-41
    stick-table type ip size 1
    stick on dst
    default-server inter 1s fall 2 rise 3 on-marked-down shutdown-sessions
    server g1 $HOST:${GALERA_PORTS[0]} check
    server g2 $HOST:${GALERA_PORTS[1]} check backup
    server g3 $HOST:${GALERA_PORTS[2]} check backup

# The API: any of the three processes, least connections first; a process that stops
# answering /livez is out within 2 s, and a request that could not connect goes to another.
# Not /healthz: a Redis or database failover fails it on every process at once.
listen api
    bind $HOST:$API_PORT
    mode http
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 5s
    balance leastconn
    option httpchk GET /livez
    http-check expect status 200
    option forwardfor
    http-request set-header X-Forwarded-Proto http
    default-server inter 1s fall 2 rise 2
    server a1 $HOST:${API_PORTS[0]} check
    server a2 $HOST:${API_PORTS[1]} check
    server a3 $HOST:${API_PORTS[2]} check

listen stats
    bind $HOST:$HAPROXY_STATS_PORT
    mode http
    timeout client 10s
    timeout server 10s
    stats enable
    stats uri /
EOF
}

haproxy_up() {
    haproxy_cfg >"$DIR/haproxy.cfg.new"
    haproxy -c -q -f "$DIR/haproxy.cfg.new"
    if alive "$DIR/haproxy.pid" && cmp -s "$DIR/haproxy.cfg.new" "$DIR/haproxy.cfg"; then
        # Running as configured: left alone, so its stick table keeps the node it fails over to.
        rm "$DIR/haproxy.cfg.new"
        return 0
    fi
    mv "$DIR/haproxy.cfg.new" "$DIR/haproxy.cfg"
    if alive "$DIR/haproxy.pid"; then
        # Reload: the new process takes the sockets, the old one finishes what it holds.
        setsid haproxy -D -f "$DIR/haproxy.cfg" -sf "$(cat "$DIR/haproxy.pid")" >>"$DIR/haproxy.log" 2>&1
    else
        setsid haproxy -D -f "$DIR/haproxy.cfg" >>"$DIR/haproxy.log" 2>&1
    fi
    wait_for 20 "HAProxy's database front" mysql -h "$HOST" -P "$DB_PORT" -u root -e "SELECT 1"
    log "HAProxy: database on $HOST:$DB_PORT, API on $HOST:$API_PORT, stats on $HOST:$HAPROXY_STATS_PORT"
}

haproxy_down() {
    if alive "$DIR/haproxy.pid"; then kill "$(cat "$DIR/haproxy.pid")"; fi
    rm -f "$DIR/haproxy.pid"
}

# --- Redis ----------------------------------------------------------------------------------

redis_up() {
    bash scripts/redis-cluster.sh start "$DIR/redis-cluster" | sed 's/^/cluster: /'
    bash scripts/redis-sentinel.sh start "$DIR/redis-sentinel" | sed 's/^/cluster: /'
}

redis_down() {
    bash scripts/redis-sentinel.sh stop "$DIR/redis-sentinel" >/dev/null || true
    bash scripts/redis-cluster.sh stop "$DIR/redis-cluster" >/dev/null || true
}

# --- The app ----------------------------------------------------------------------------------

write_env() {
    [[ -f "$DIR/cluster.env" ]] && return 0
    # Secrets made once per cluster directory (every process of it must share DATA_KEY).
    local secret data_key qr
    secret=$(head -c 36 /dev/urandom | base64 | tr -d '/+=')
    data_key=$(head -c 32 /dev/urandom | base64)
    qr=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
    cat >"$DIR/cluster.env" <<EOF
APP_CONFIG=production
FLASK_APP=wsgi.py
DATABASE_URL=mysql+pymysql://root@$HOST:$DB_PORT/$DB_NAME?charset=utf8mb4
REDIS_URL=redis+cluster://$HOST:$REDIS_CLUSTER_PORT
QUEUE_REDIS_URL=redis+sentinel://$SENTINELS/ec-queue
SECRET_KEY=$secret
DATA_KEY=$data_key
QR_KEYS=1:$qr
WECHAT_APPID=wx00000000cluster0
WECHAT_SECRET=cluster-wechat-secret
WECHAT_API_BASE=http://$HOST:$WECHAT_PORT/
PUBLIC_BASE_URL=http://$HOST:$API_PORT
PROXY_COUNT=1
STORAGE_DIR=$DIR/storage
EXPORT_DIR=$DIR/exports
SMS_PROVIDER=none
LOG_FORMAT=json
LOG_LEVEL=WARNING
EOF
}

in_env() {  # in_env COMMAND...: run COMMAND with the cluster's settings
    # shellcheck disable=SC2046  (one KEY=value word per line of the file, none with spaces)
    env $(grep -v '^#' "$DIR/cluster.env" | xargs) "$@"
}

start_group() {  # start_group NAME COMMAND...: a session (process group) of its own, pid in NAME.pid
    local name=$1 pidfile="$DIR/app/$1.pid"
    shift
    alive "$pidfile" && return 0
    rm -f "$pidfile"
    # setsid makes the shell the leader of a new session; it writes its pid (= the group's id)
    # and becomes the command (or runs it, for a function such as `restarted`), so `down` can
    # stop the command and every child it forked with one signal to the group.
    # shellcheck disable=SC2046  (one KEY=value word per line of the settings file)
    setsid env $(grep -v '^#' "$DIR/cluster.env" | xargs) bash -c 'echo $$ >"$0"; [ "$(type -t "$1")" = function ] && "$@"; exec "$@"' "$pidfile" \
        "$@" >>"$DIR/app/$name.log" 2>&1 </dev/null &
    wait_for 10 "$name's pid file" test -s "$pidfile"
}

restarted() {  # restarted SECONDS COMMAND...: run COMMAND again SECONDS after it exits, as systemd would
    # deploy/systemd's ec-worker@ and ec-cron units say Restart=always: an RQ worker quits on a
    # connection error outside its dequeue loop (a queue failover), and must come back by itself.
    local pause=$1
    shift
    while :; do
        "$@" || true
        echo "cluster: $1 exited; starting it again in $pause s"
        sleep "$pause"
    done
}
export -f restarted

api_ready() {  # api_ready PORT: that gunicorn answers /healthz
    curl -fsS -m 2 "http://$HOST:$1/healthz" >/dev/null
}

app_up() {
    mkdir -p "$DIR/app" "$DIR/storage" "$DIR/exports"
    # Once, through the balancer, before any process serves: migrations run on one node and
    # Galera replicates their DDL (total order isolation) to the others.
    in_env "$VENV/flask" db upgrade >"$DIR/app/migrate.log" 2>&1 || { cat "$DIR/app/migrate.log" >&2; exit 1; }
    in_env "$VENV/flask" seed-places >>"$DIR/app/migrate.log" 2>&1
    start_group wechat "$VENV/flask" fake-wechat --host "$HOST" --port "$WECHAT_PORT"
    local n port
    for n in 1 2 3; do
        port=${API_PORTS[$((n - 1))]}
        start_group "api$n" "$VENV/gunicorn" --config gunicorn.conf.py --bind "$HOST:$port" \
            --workers 1 --worker-class gthread --threads 8 --timeout 60 --no-control-socket wsgi:app
    done
    for n in 1 2; do
        start_group "worker$n" restarted 5 "$VENV/flask" worker push default exchange
    done
    start_group cron restarted 10 "$VENV/flask" cron
    for port in "${API_PORTS[@]}"; do
        wait_for 180 "the API on $port" api_ready "$port"
    done
    wait_for 20 "the API through HAProxy" api_ready "$API_PORT"
    log "app: API http://$HOST:$API_PORT (3 gunicorns), 2 workers, cron, fake WeChat :$WECHAT_PORT"
}

stop_group() {  # stop_group NAME: SIGTERM its process group, SIGKILL after 30 s
    local pidfile="$DIR/app/$1.pid"
    alive "$pidfile" || { rm -f "$pidfile"; return 0; }
    local pid
    pid=$(cat "$pidfile")
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$pidfile"
}

app_down() {
    local name
    for name in api1 api2 api3 worker1 worker2 cron wechat; do stop_group "$name"; done
}

status() {
    local n
    for n in 1 2 3; do
        if galera_ping "$n"; then echo "galera g$n: synced"; else echo "galera g$n: down"; fi
    done
    mysql -h "$HOST" -P "${GALERA_PORTS[0]}" -u root -N -e "SHOW STATUS LIKE 'wsrep_cluster_size'" 2>/dev/null \
        | sed 's/^/galera: /' || true
    if alive "$DIR/haproxy.pid"; then echo "haproxy: running"; else echo "haproxy: down"; fi
    bash scripts/redis-cluster.sh status "$DIR/redis-cluster" 2>/dev/null | sed 's/^/redis cluster: /' || echo "redis cluster: down"
    bash scripts/redis-sentinel.sh status "$DIR/redis-sentinel" 2>/dev/null | sed 's/^/queue redis: /' || echo "queue redis: down"
    for name in api1 api2 api3 worker1 worker2 cron wechat; do
        if alive "$DIR/app/$name.pid"; then echo "$name: running"; else echo "$name: down"; fi
    done
}

has() { [[ " $PARTS " == *" $1 "* ]]; }

case "$ACTION" in
    up)
        mkdir -p "$DIR"
        write_env
        install_missing
        if has db; then galera_up; fi
        if has redis; then redis_up; fi
        if has db; then haproxy_up; fi
        if has app; then app_up; fi
        ;;
    down)
        app_down
        haproxy_down
        redis_down
        galera_down
        log "stopped (data kept in $DIR; remove it for a fresh cluster)"
        ;;
    restart-app)  # new code: the app's processes stopped and started again, the rest left running
        app_down
        app_up
        ;;
    status) status ;;
    env) cat "$DIR/cluster.env" ;;
    *) echo "usage: $0 up|down|restart-app|status|env [DIR]" >&2; exit 2 ;;
esac
