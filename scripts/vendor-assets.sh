#!/usr/bin/env bash
# The console's third-party JS (ECharts, htmx), exactly as console_assets/package-lock.json pins
# them: `npm ci` there, then copy the built files into app/console/static/vendor/ (gitignored),
# from where the app itself serves them: no CDN (government intranets have none).
# `make` runs this when the lockfile changes (target app/console/static/vendor/.installed).
set -euo pipefail
cd "$(dirname "$0")/.."
ASSETS=console_assets
VENDOR=app/console/static/vendor

(cd "$ASSETS" && npm ci --no-audit --no-fund --loglevel=error)
rm -rf "$VENDOR"
mkdir -p "$VENDOR"
cp "$ASSETS/node_modules/echarts/dist/echarts.min.js" "$VENDOR/echarts.min.js"
cp "$ASSETS/node_modules/htmx.org/dist/htmx.min.js" "$VENDOR/htmx.min.js"
# Their licences travel with them.
cp "$ASSETS/node_modules/echarts/LICENSE" "$VENDOR/LICENSE.echarts"
cp "$ASSETS/node_modules/htmx.org/LICENSE" "$VENDOR/LICENSE.htmx"
# Which versions were copied, for a reader of the folder (and the lockfile says the rest).
node -e 'const l=require("./'"$ASSETS"'/package-lock.json").packages;
  for (const n of ["echarts","htmx.org"]) console.log(n, l["node_modules/"+n].version)' > "$VENDOR/VERSIONS"
touch "$VENDOR/.installed"
echo "console assets: $(tr '\n' ' ' < "$VENDOR/VERSIONS")-> $VENDOR"
