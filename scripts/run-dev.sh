#!/usr/bin/env bash
# The embedded default: SQLite file, fakeredis, RQ jobs inline, local fake WeChat on :5001.
set -euo pipefail
cd "$(dirname "$0")/.."
export FLASK_APP=wsgi.py
export APP_CONFIG=development
export DEMO_PASSWORD="${DEMO_PASSWORD:-demo-pass-2026}"
PORT="${PORT:-5000}"
WECHAT_PORT="${WECHAT_PORT:-5001}"
export WECHAT_API_BASE="${WECHAT_API_BASE:-http://127.0.0.1:${WECHAT_PORT}/}"
FLASK=.venv/bin/flask

$FLASK db upgrade
$FLASK seed-places
$FLASK demo-data > instance/demo-data.json
echo "demo data: instance/demo-data.json"

$FLASK fake-wechat --port "$WECHAT_PORT" > instance/fake-wechat.log 2>&1 &
FAKE_PID=$!
trap 'kill $FAKE_PID 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  Huangshan 3-km employment circle — embedded demo
  API          http://127.0.0.1:${PORT}/api/v1   (OpenAPI: /api/v1/openapi.json, health: /healthz)
  Fake WeChat  ${WECHAT_API_BASE}   (log: instance/fake-wechat.log)
  Demo staff   demo-city-admin, demo-operator, demo-grid-worker, demo-station-staff
               (and demo-grid-<community code> for each demo community)
  Password     ${DEMO_PASSWORD}   (set DEMO_PASSWORD to change it)

  Try it (another terminal):
    curl -s -X POST localhost:${PORT}/api/v1/auth/login -H 'Content-Type: application/json' \\
         -d '{"username":"demo-grid-worker","password":"${DEMO_PASSWORD}"}'
    curl -s -X POST ${WECHAT_API_BASE}_fake/codes -H 'Content-Type: application/json' -d '{}'
    curl -s -X POST localhost:${PORT}/api/v1/auth/wechat-login -H 'Content-Type: application/json' \\
         -d '{"code":"<code from _fake/codes>"}'
  More in README.md ("Try it with curl").

MSG

exec $FLASK run --host 127.0.0.1 --port "$PORT" --no-reload
