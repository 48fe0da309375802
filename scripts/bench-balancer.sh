#!/usr/bin/env bash
# Install nginx for the benchmarks' front (bench/server.py, front="nginx") when it is missing.
# As root on Debian: nginx-light (or nginx). Otherwise it says so and the benchmarks fall back
# to one SO_REUSEPORT socket per gunicorn worker (their results name the front they used).
set -uo pipefail

if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "nginx is not installed and cannot be installed here: the benchmarks use SO_REUSEPORT instead" >&2
  exit 0
fi
echo "installing nginx-light for the benchmarks"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends nginx-light >/dev/null 2>&1; then
  apt-get update >/dev/null 2>&1 || true
  apt-get install -y --no-install-recommends nginx-light >/dev/null 2>&1 \
    || apt-get install -y --no-install-recommends nginx >/dev/null 2>&1 \
    || echo "nginx could not be installed: the benchmarks use SO_REUSEPORT instead" >&2
fi
# Only the binary is wanted: the package's own server on port 80 stays stopped.
if command -v service >/dev/null 2>&1; then
  service nginx stop >/dev/null 2>&1 || true
fi
exit 0
