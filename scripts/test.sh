#!/usr/bin/env bash
# Run lint, the import rules (lint-imports) and the test suite on the embedded backend, the
# mini-program's Node tests, then both again on MariaDB + Redis when configured
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

echo "== tests on the embedded backend (SQLite + fakeredis)"
pytest_run -q --backend=embedded "$@" || exit 1

if [ "${MINIPROGRAM_TESTS:-1}" = "1" ]; then
  echo "== mini-program tests (Node, against the embedded backend on free ports)"
  (cd miniprogram_stub && npx jest --runInBand --ci) || exit 1
fi

if [ -n "${TEST_DATABASE_URL:-}" ] && [ -n "${TEST_REDIS_URL:-}" ]; then
  echo "== tests on the real backend (MariaDB/MySQL + Redis)"
  pytest_run -q --backend=real "$@" || exit 1
  if [ "${MINIPROGRAM_TESTS:-1}" = "1" ]; then
    echo "== mini-program tests against MariaDB + Redis (a database of their own: <test db>_miniprogram)"
    (cd miniprogram_stub && MINIPROGRAM_BACKEND=real npx jest --runInBand --ci) || exit 1
  fi
else
  echo "== real backend skipped: set TEST_DATABASE_URL and TEST_REDIS_URL (as .ci/run does)"
fi
