#!/usr/bin/env bash
# Side-by-side benchmark: stream-lag-exporter (release build) next to redis_exporter, nginx
# serving the same body, and the pipelined limit, using the shared harness
# ../shared/bench-peer/peer.sh (run, not copied). Usage: scripts/bench.sh [N streams] [peer.sh args]
# Prints the harness' table; figures and ratios are in its last lines and JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
shift || true
harness=../shared/bench-peer/peer.sh
[ -x "$harness" ] || { echo "bench: $harness not found (the shared folder sits beside this checkout)" >&2; exit 2; }
need=()
for p in redis-server redis-tools prometheus-redis-exporter wrk nginx python3-redis curl gcc libhiredis-dev libmicrohttpd-dev pkg-config; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
swift build -c release --product stream-lag-exporter
bin=$(swift build -c release --show-bin-path)/stream-lag-exporter
exec "$harness" "$n" --out "/tmp/stream-lag-bench-n$n.json" "$@" \
  --exporter "stream-lag-exporter|http://127.0.0.1:29200/metrics|$bin --redis.url \"\$REDIS_ADDR\" --streams.pattern \"\$STREAM_PATTERN\" --consumer-group '*' --web.listen-address 127.0.0.1:29200 --log.level warn"
