#!/usr/bin/env bash
# Back up the database: one consistent, gzipped mariadb-dump a run, named by database and UTC time,
# and dumps older than the retention removed (only after a good one is written).
#
#   scripts/backup.sh [--url URL] [--dir DIR] [--keep-days N]
#
# The database: --url, else BACKUP_DATABASE_URL (an account that may only read, if you make one),
# else DATABASE_URL (the app's own: mysql+pymysql://user:pass@host:port/db?...), else DB_HOST,
# DB_PORT, DB_USER, DB_PASSWORD, DB_NAME. Where: --dir, else BACKUP_DIR
# (/var/backups/employment-circle). Kept: --keep-days, else BACKUP_KEEP_DAYS (14).
# Exits non-zero, leaving no file that looks like a backup, when anything fails.
#
# restore.sh sources this file for db_connect (main runs only when executed).
set -euo pipefail

die() {
  echo "backup: $*" >&2
  exit 1
}

# Undo a URL's %XX escapes (as SQLAlchemy does: "+" stays "+"); backslashes are kept as they are.
urldecode() {
  local value="${1//\\/\\\\}"
  printf '%b' "${value//%/\\x}"
}

# Set DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME from a SQLAlchemy/MySQL URL (or keep the DB_* given);
# a second argument "any" accepts a URL without a database (restore.sh names its own).
db_from_url() {
  local url="$1" need="${2:-}" rest auth hostport
  if [[ -z "$url" ]]; then
    [[ -n "${DB_NAME:-}" || "$need" == any ]] || die "no database: give --url, DATABASE_URL or DB_NAME"
    DB_HOST="${DB_HOST:-127.0.0.1}" DB_PORT="${DB_PORT:-3306}" DB_USER="${DB_USER:-root}"
    DB_PASSWORD="${DB_PASSWORD:-}"
    return
  fi
  [[ "$url" =~ ^mysql(\+[a-z]+)?:// || "$url" =~ ^mariadb(\+[a-z]+)?:// ]] || die "not a MySQL/MariaDB URL"
  rest="${url#*://}"
  rest="${rest%%\?*}"
  if [[ "$rest" == *@* ]]; then
    auth="${rest%@*}"
    rest="${rest##*@}"
  else
    auth=""
  fi
  hostport="${rest%%/*}"
  DB_NAME=""
  [[ "$rest" == */* ]] && DB_NAME="$(urldecode "${rest#*/}")"
  [[ -n "$DB_NAME" || "$need" == any ]] || die "the URL names no database"
  DB_HOST="${hostport%%:*}"
  DB_PORT=3306
  [[ "$hostport" == *:* ]] && DB_PORT="${hostport##*:}"
  DB_USER="$(urldecode "${auth%%:*}")"
  DB_PASSWORD=""
  [[ "$auth" == *:* ]] && DB_PASSWORD="$(urldecode "${auth#*:}")"
  DB_USER="${DB_USER:-root}"
}

# Write a client option file (mode 600) and print its path: the password never shows in `ps`.
db_connect() {
  local file
  file="$(mktemp)"
  chmod 600 "$file"
  {
    echo "[client]"
    echo "host=$DB_HOST"
    echo "port=$DB_PORT"
    echo "user=$DB_USER"
    if [[ -n "$DB_PASSWORD" ]]; then
      local escaped="${DB_PASSWORD//\\/\\\\}"  # option files read \ and \" as escapes
      echo "password=\"${escaped//\"/\\\"}\""
    fi
    echo "default-character-set=utf8mb4"
  } >"$file"
  echo "$file"
}

main() {
  local url="${BACKUP_DATABASE_URL:-${DATABASE_URL:-}}" dir="${BACKUP_DIR:-/var/backups/employment-circle}"
  local keep="${BACKUP_KEEP_DAYS:-14}"
  while (($#)); do
    case "$1" in
      --url) url="$2"; shift 2 ;;
      --dir) dir="$2"; shift 2 ;;
      --keep-days) keep="$2"; shift 2 ;;
      -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
      *) die "unknown argument $1 (see --help)" ;;
    esac
  done
  [[ "$keep" =~ ^[0-9]+$ && "$keep" -ge 1 ]] || die "--keep-days must be a whole number of days, at least 1"
  command -v mariadb-dump >/dev/null || die "mariadb-dump is not installed (apt-get install mariadb-client)"
  db_from_url "$url"

  # The dump holds ciphertexts and lookup hashes of personal data: readable by the owner only.
  umask 077
  mkdir -p "$dir"
  local started name
  started=$(date +%s)
  name="$dir/$DB_NAME-$(date -u +%Y%m%dT%H%M%SZ).sql.gz"
  partial="$dir/.$(basename "$name").partial"
  options="$(db_connect)"
  trap 'rm -f "${options:-}" "${partial:-}"' EXIT  # globals: the trap runs after main returns

  # --single-transaction: one consistent InnoDB snapshot without locking the app out;
  # --hex-blob keeps the encrypted columns byte for byte; no --databases, so the dump can be
  # restored into a database of any name.
  mariadb-dump --defaults-extra-file="$options" --single-transaction --quick --routines --triggers \
    --hex-blob "$DB_NAME" | gzip -6 >"$partial" || die "mariadb-dump of $DB_NAME failed"
  # mariadb-dump ends a complete dump with this line; a cut-off one is not a backup.
  gzip -cd "$partial" | tail -n 1 | grep -q '^-- Dump completed' || die "the dump of $DB_NAME is incomplete"
  mv "$partial" "$name"

  find "$dir" -maxdepth 1 -type f -name "$DB_NAME-*.sql.gz" -mmin "+$((keep * 24 * 60))" -print -delete |
    sed 's/^/backup: removed old /'
  echo "backup: $name ($(du -h "$name" | cut -f1), $(($(date +%s) - started)) s)"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
