#!/usr/bin/env bash
# The embedded default: SQLite file, fakeredis, RQ jobs inline, local fake WeChat on :5001, fake SMS on :5002,
# fake provincial platform on :5003.
set -euo pipefail
cd "$(dirname "$0")/.."
export FLASK_APP=wsgi.py
export APP_CONFIG=development
export DEMO_PASSWORD="${DEMO_PASSWORD:-demo-pass-2026}"
# Exported: the development config builds PUBLIC_BASE_URL (QR codes, poster and live-screen
# links) from PORT unless PUBLIC_BASE_URL is set.
export PORT="${PORT:-5000}"
WECHAT_PORT="${WECHAT_PORT:-5001}"
export WECHAT_API_BASE="${WECHAT_API_BASE:-http://127.0.0.1:${WECHAT_PORT}/}"
SMS_PORT="${SMS_PORT:-5002}"
export SMS_API_BASE="${SMS_API_BASE:-http://127.0.0.1:${SMS_PORT}/}"
export SMS_CALLBACK_TOKEN="${SMS_CALLBACK_TOKEN:-dev-sms-token}"
PROVINCE_PORT="${PROVINCE_PORT:-5003}"
export PROVINCE_API_BASE="${PROVINCE_API_BASE:-http://127.0.0.1:${PROVINCE_PORT}/}"
FLASK=.venv/bin/flask
# Where the fake's log and the demo's summary go (the database: DATABASE_URL, default instance/).
RUN_DIR="${RUN_DIR:-instance}"
mkdir -p instance "$RUN_DIR"

# The fake WeChat needs no database: start it first (it loads in well under a second, without
# the app), while the database is made ready.
.venv/bin/python -m app.wechat.fake --port "$WECHAT_PORT" > "$RUN_DIR/fake-wechat.log" 2>&1 &
FAKE_PID=$!
# The fake SMS gateway posts its delivery receipts and replies back to this app.
.venv/bin/python -m app.sms.fake --port "$SMS_PORT" --token "$SMS_CALLBACK_TOKEN" \
  --callback-base "http://127.0.0.1:${PORT}/api/v1/sms/callbacks" > "$RUN_DIR/fake-sms.log" 2>&1 &
SMS_PID=$!
# The fake province takes the exchange's records (signed with the development client id and secret).
.venv/bin/python -m app.province.fake --port "$PROVINCE_PORT" > "$RUN_DIR/fake-province.log" 2>&1 &
PROVINCE_PID=$!
trap 'kill $FAKE_PID $SMS_PID $PROVINCE_PID 2>/dev/null || true' EXIT INT TERM

# One command: migrations, places, demo data (each only when needed), demo passwords.
$FLASK dev-setup --demo-file "$RUN_DIR/demo-data.json"
echo "demo data: $RUN_DIR/demo-data.json"
# The demo admins' second factor (DEMO_TOTP_SECRET), as dev-setup enrolled it.
TOTP_SECRET=$(sed -n 's/.*"totp_secret": "\([A-Z2-7=]*\)".*/\1/p' "$RUN_DIR/demo-data.json" | head -n 1)

cat <<MSG

  Huangshan 3-km employment circle — embedded demo
  Console      http://127.0.0.1:${PORT}/console/   (staff sign-in: dashboards, lists, exports)
  API          http://127.0.0.1:${PORT}/api/v1   (OpenAPI: /api/v1/openapi.json, health: /healthz)
  Fake WeChat  ${WECHAT_API_BASE}   (log: ${RUN_DIR}/fake-wechat.log)
  Fake SMS     ${SMS_API_BASE}_fake/sms   (what was sent; log: ${RUN_DIR}/fake-sms.log)
  Fake province ${PROVINCE_API_BASE}_fake/province/records   (what it holds; log: ${RUN_DIR}/fake-province.log)
  Demo staff   demo-city-admin, demo-district-admin, demo-township-admin, demo-supervisor,
               demo-operator, demo-grid-worker, demo-station-staff
               (and demo-grid-<community code> for each demo community)
  Password     ${DEMO_PASSWORD}   (set DEMO_PASSWORD to change it; applied at every start)
  TOTP secret  ${TOTP_SECRET}   (demo-city-admin, demo-district-admin: their second factor,
               in the console and as "totp_code" in the API's login;
               put it in an authenticator app, or print the current code with
               .venv/bin/python -c "import pyotp; print(pyotp.TOTP('${TOTP_SECRET}').now())")

  Try it (another terminal):
    curl -s -X POST localhost:${PORT}/api/v1/auth/login -H 'Content-Type: application/json' \\
         -d '{"username":"demo-grid-worker","password":"${DEMO_PASSWORD}"}'
    curl -s -X POST ${WECHAT_API_BASE}_fake/codes -H 'Content-Type: application/json' -d '{}'
    curl -s -X POST localhost:${PORT}/api/v1/auth/wechat-login -H 'Content-Type: application/json' \\
         -d '{"code":"<code from _fake/codes>"}'
  More in README.md ("Try it with curl").

MSG

exec $FLASK run --host 127.0.0.1 --port "$PORT" --no-reload
