#!/usr/bin/env bash
# Render the HTML research report in headless Chromium and save a PNG screenshot.
#
# A manual, documented check (not part of `make test`: it needs a browser):
#   apt-get install -y chromium           # Debian package; provides /usr/bin/chromium
#   scripts/screenshot_report.sh [REPORT_HTML] [OUT_PNG] [WIDTH] [HEIGHT]
# Defaults: $DATASHARE_WAREHOUSE/report/report.html (else ./warehouse/report/report.html),
# PNG next to it, 1200 x 6000 pixels (the top of the report: header, contents and
# the first domains). The browser runs offline-minded (no background networking,
# no component updates, no sync) with a new throw-away profile, so the screenshot
# also shows the report renders without fetching anything.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
warehouse="${DATASHARE_WAREHOUSE:-$here/warehouse}"
report="${1:-$warehouse/report/report.html}"
out="${2:-${report%.html}.png}"
width="${3:-1200}"
height="${4:-6000}"
chromium="${CHROMIUM:-/usr/bin/chromium}"

if [[ ! -f "$report" ]]; then
    echo "screenshot_report: no report at $report (run \`make run\` or \`datashare report --out DIR\`)" >&2
    exit 1
fi
if [[ ! -x "$chromium" ]]; then
    echo "screenshot_report: $chromium not found; install it with: apt-get install -y chromium" >&2
    exit 1
fi

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
report_abs="$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
out_abs="$(mkdir -p "$(dirname "$out")" && cd "$(dirname "$out")" && pwd)/$(basename "$out")"

"$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$profile" --window-size="${width},${height}" \
    --screenshot="$out_abs" "file://$report_abs" 2> "$profile/chromium.log" || {
    cat "$profile/chromium.log" >&2
    exit 1
}
if [[ ! -s "$out_abs" ]]; then
    echo "screenshot_report: Chromium wrote no screenshot" >&2
    cat "$profile/chromium.log" >&2
    exit 1
fi
echo "screenshot saved to $out_abs ($(stat -c %s "$out_abs") bytes)"
