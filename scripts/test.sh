#!/usr/bin/env bash
# Run lint, the import rules (lint-imports), the test suite on the embedded backend and, when
# configured, on MariaDB + Redis (side by side), then the mini-program's Node tests on each
# (MINIPROGRAM_TESTS=0 skips the Node tests).
set -u
cd "$(dirname "$0")/.."
PY=.venv/bin/python

pytest_run() {
  "$PY" -m pytest "$@"
  local rc=$?
  if [ "$rc" -eq 5 ]; then
    # pytest's "no tests collected" (e.g. a -k that matched nothing) is not a failure here.
    echo "pytest: no tests were collected for: $*"
    rc=0
  fi
  return "$rc"
}

.venv/bin/ruff check . || exit 1
# The import rules of the layout (.importlinter): one direction, wings, no cycles, RQ only in tasks.
.venv/bin/lint-imports --no-cache || exit 1

real_configured=0
[ -n "${TEST_DATABASE_URL:-}" ] && [ -n "${TEST_REDIS_URL:-}" ] && real_configured=1

# With both backends configured the two pytest runs go side by side (TEST_PARALLEL=0: one after
# the other): the real run spends much of its time waiting on MariaDB, so two cores finish both
# in little more than the longer one. Each keeps its output in a file, printed whole when done.
if [ "$real_configured" = "1" ] && [ "${TEST_PARALLEL:-1}" = "1" ]; then
  logs=$(mktemp -d)
  echo "== tests on the embedded backend (SQLite + fakeredis) and on MariaDB/MySQL + Redis, side by side"
  pytest_run -q --backend=embedded "$@" >"$logs/embedded.log" 2>&1 &
  embedded_pid=$!
  pytest_run -q --backend=real "$@" >"$logs/real.log" 2>&1
  real_rc=$?
  wait "$embedded_pid"
  embedded_rc=$?
  echo "== tests on the embedded backend (SQLite + fakeredis): exit $embedded_rc"
  cat "$logs/embedded.log"
  echo "== tests on the real backend (MariaDB/MySQL + Redis): exit $real_rc"
  cat "$logs/real.log"
  rm -rf "$logs"
  [ "$embedded_rc" -eq 0 ] && [ "$real_rc" -eq 0 ] || exit 1
else
  echo "== tests on the embedded backend (SQLite + fakeredis)"
  pytest_run -q --backend=embedded "$@" || exit 1
  if [ "$real_configured" = "1" ]; then
    echo "== tests on the real backend (MariaDB/MySQL + Redis)"
    pytest_run -q --backend=real "$@" || exit 1
  fi
fi

if [ "${MINIPROGRAM_TESTS:-1}" = "1" ]; then
  echo "== mini-program tests (Node, against the embedded backend on free ports)"
  (cd miniprogram_stub && npx jest --runInBand --ci) || exit 1
  if [ "$real_configured" = "1" ]; then
    echo "== mini-program tests against MariaDB + Redis (a database of their own: <test db>_miniprogram)"
    (cd miniprogram_stub && MINIPROGRAM_BACKEND=real npx jest --runInBand --ci) || exit 1
  fi
fi

if [ "$real_configured" = "0" ]; then
  echo "== real backend skipped: set TEST_DATABASE_URL and TEST_REDIS_URL (as .ci/run does)"
fi
