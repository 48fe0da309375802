#!/usr/bin/env bash
# Restore a dump written by scripts/backup.sh into a named database (created when missing).
#
#   scripts/restore.sh DUMP.sql.gz TARGET_DB [--url URL] [--replace]
#
# The server and account: --url, else DATABASE_URL, else DB_HOST, DB_PORT, DB_USER, DB_PASSWORD
# (the URL's own database name is ignored: TARGET_DB is where the dump goes). A target that
# already holds tables is refused unless --replace is given: the dump drops and recreates each
# of its tables, so a slip of the name must not overwrite the live database.
set -euo pipefail

# shellcheck source=scripts/backup.sh
source "$(dirname "$0")/backup.sh"

die() {
  echo "restore: $*" >&2
  exit 1
}

dump="" target="" url="${DATABASE_URL:-}" replace=0
while (($#)); do
  case "$1" in
    --url) url="$2"; shift 2 ;;
    --replace) replace=1; shift ;;
    -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *)
      if [[ -z "$dump" ]]; then dump="$1"; elif [[ -z "$target" ]]; then target="$1"; else die "too many arguments"; fi
      shift ;;
  esac
done
[[ -n "$dump" && -n "$target" ]] || die "usage: restore.sh DUMP.sql.gz TARGET_DB [--url URL] [--replace]"
[[ -f "$dump" ]] || die "$dump: no such file"
[[ "$target" =~ ^[A-Za-z0-9_]+$ ]] || die "TARGET_DB may hold letters, digits and _ only"
command -v mariadb >/dev/null || die "the mariadb client is not installed (apt-get install mariadb-client)"
gzip -t "$dump" || die "$dump is not a whole gzip file"

db_from_url "$url" any
options="$(db_connect)"
trap 'rm -f "${options:-}"' EXIT
started=$(date +%s)

tables=$(mariadb --defaults-extra-file="$options" -N -e \
  "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$target'")
if [[ "$tables" != 0 && "$replace" != 1 ]]; then
  die "$target already holds $tables tables: give --replace to overwrite them"
fi
mariadb --defaults-extra-file="$options" -e \
  "CREATE DATABASE IF NOT EXISTS \`$target\` CHARACTER SET utf8mb4"
gzip -cd "$dump" | mariadb --defaults-extra-file="$options" "$target" || die "loading $dump into $target failed"

tables=$(mariadb --defaults-extra-file="$options" -N -e \
  "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$target'")
echo "restore: $dump into $target: $tables tables ($(($(date +%s) - started)) s)"
