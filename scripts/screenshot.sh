#!/usr/bin/env bash
# Makes docs/status-page.png: the status page at / as headless Chromium draws it, after 25 s of
# the demo's traffic on a private Redis (three seed streams, one of them stalled). Everything
# runs on loopback on free ports and is stopped by its pid.
# Usage: scripts/screenshot.sh [OUTPUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/status-page.png}
. scripts/lib/packages.sh
ensure_packages redis-server chromium
swift build --product stream-lag-exporter >/dev/null && swift build --product stream-lag-traffic >/dev/null
bin=$(swift build --show-bin-path)
tmp=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
. scripts/lib/ports.sh
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" >/dev/null &
pids+=($!)
until redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG; do sleep 0.1; done
url="redis://127.0.0.1:$redis_port/0"
"$bin/stream-lag-traffic" --redis.url "$url" --produce-rate 50 --consume-rate 45 --consume-period 40s \
  --stall events:remote --stall-after 10s 2>/dev/null &
pids+=($!)
web_port=$(free_port)
"$bin/stream-lag-exporter" --redis.url "$url" --web.listen-address "127.0.0.1:$web_port" --poll.interval 1s \
  --lag.stall-after 10s --lag.window 20s --log.level error &
pids+=($!)
sleep 25
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,520 \
  --virtual-time-budget=3000 --user-data-dir="$tmp/chromium" --screenshot="$out" "http://127.0.0.1:$web_port/" 2>/dev/null
echo "screenshot: $out"
