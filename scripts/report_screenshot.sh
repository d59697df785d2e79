#!/usr/bin/env bash
# Full-page screenshot of a run's self-contained report with headless Chromium.
#
#   scripts/report_screenshot.sh RUN_DIR [OUT.png]
#
# RUN_DIR must contain report.html; OUT.png defaults to RUN_DIR/report.png.
# Installs Debian's `chromium` when /usr/bin/chromium is missing (needs root and apt).
# Chromium runs with networking features off; the report itself makes no network request.
# Exit codes: 0 ok, 1 usage or missing report, 2 chromium unavailable, 3 screenshot failed.
set -euo pipefail

usage() {
    echo "usage: $0 RUN_DIR [OUT.png]" >&2
    exit 1
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
run_dir=$1
[ -d "$run_dir" ] || { echo "error: '$run_dir' is not a directory" >&2; exit 1; }
report=$(cd "$run_dir" && pwd -P)/report.html
[ -f "$report" ] || { echo "error: no report.html in '$run_dir'" >&2; exit 1; }
out=${2:-$run_dir/report.png}
out_dir=$(dirname -- "$out")
[ -d "$out_dir" ] || { echo "error: output directory '$out_dir' does not exist" >&2; exit 1; }
out=$(cd "$out_dir" && pwd -P)/$(basename -- "$out")

chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then
    echo "chromium not found at $chromium: installing Debian's chromium (this takes a while)..." >&2
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2; then
        echo "error: could not install chromium with apt-get (are you root, with network access" >&2
        echo "to the Debian mirrors?). Install it by hand: apt-get install chromium" >&2
        exit 2
    fi
    if [ ! -x "$chromium" ]; then
        echo "error: apt-get finished but $chromium is still missing" >&2
        exit 2
    fi
fi

profile=$(mktemp -d)
trap 'rm -rf -- "$profile"' EXIT

# file:// URL: percent-encode the characters that would break it.
url=file://$(printf '%s' "$report" | sed -e 's/%/%25/g' -e 's/ /%20/g' -e 's/#/%23/g' -e 's/?/%3F/g')

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --user-data-dir="$profile/user-data" --hide-scrollbars)

# `--screenshot` captures the window only, so first measure the page height at the same
# width: a scratch copy of the report with one line of script that records the height
# in the DOM (the report itself has no script), read back with --dump-dom.
height=3000
{
    cat -- "$report"
    echo '<script>document.documentElement.setAttribute("data-page-height", Math.ceil(Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)))</script>'
} >"$profile/measure.html"
measured=$("$chromium" "${flags[@]}" --window-size=1200,3000 --dump-dom "file://$profile/measure.html" \
    2>"$profile/measure.log" | grep -o 'data-page-height="[0-9]*"' | head -n 1 | tr -dc '0-9' || true)
if [ -n "$measured" ] && [ "$measured" -gt 0 ]; then
    height=$((measured + 16))
    max_height=30000
    if [ "$height" -gt "$max_height" ]; then
        echo "warning: the page is ${height}px tall; the screenshot keeps the top ${max_height}px" >&2
        height=$max_height
    fi
else
    echo "warning: could not measure the page height; the screenshot is 1200x3000" >&2
fi

rm -f -- "$out"
"$chromium" "${flags[@]}" --window-size=1200,"$height" --screenshot="$out" "$url" \
    >"$profile/chromium.log" 2>&1 || true

if [ ! -s "$out" ]; then
    echo "error: chromium did not write $out; its output:" >&2
    cat "$profile/chromium.log" >&2
    exit 3
fi
echo "$out"
