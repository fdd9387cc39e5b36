#!/usr/bin/env bash
# Side-by-side benchmark on the shared harness (../shared/bench-peer, run, not copied), release
# build. For each N (default 1000):
#   1. peer.sh: stream-lag-exporter next to redis_exporter, nginx serving the same body, and the
#      pipelined limit; measured after the exporter's first poll (its /-/ready);
#   2. poll.py: the quiet-machine poll timing (poll wall time, CPU a poll with rendering, round
#      trips, commands, RSS and peak RSS, and the ratios to the pipelined limit), separately.
#   3. with --cluster: scripts/cluster-bench.py, one Redis with N streams against a Redis
#      Cluster of three primaries with 3N streams, polled in the same run.
# Usage: scripts/bench.sh [--poll-only] [N ...]   e.g. scripts/bench.sh 100 1000 10000
#        scripts/bench.sh --poll-only 10000 100000
#        scripts/bench.sh --cluster 10000
# Results: the harness' tables and JSON (/tmp/stream-lag-bench-nN.json), poll.py's JSON
# (/tmp/stream-lag-poll-nN.json); docs/performance.md says how to read them.
set -euo pipefail
cd "$(dirname "$0")/.."
poll_only=false
cluster=false
if [ "${1:-}" = "--poll-only" ]; then poll_only=true; shift; fi
if [ "${1:-}" = "--cluster" ]; then cluster=true; shift; fi
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000)
harness=../shared/bench-peer
[ -x "$harness/peer.sh" ] || { echo "bench: $harness/peer.sh not found (the shared folder sits beside this checkout)" >&2; exit 2; }
. scripts/lib/packages.sh
ensure_packages redis-server redis-tools prometheus-redis-exporter wrk nginx python3-redis curl gcc libhiredis-dev \
  libmicrohttpd-dev libgnutls28-dev pkg-config
swift build -c release --product stream-lag-exporter
bin=$(swift build -c release --show-bin-path)/stream-lag-exporter
if $cluster; then
  for n in "${sizes[@]}"; do
    echo "== one Redis with $n streams against a 3-primary cluster with $((3 * n)) (scripts/cluster-bench.py) =="
    python3 scripts/cluster-bench.py "$bin" "$n" | tee "/tmp/stream-lag-cluster-n$n.json"
  done
  exit 0
fi
for n in "${sizes[@]}"; do
  if ! $poll_only; then
    echo "== side by side, N=$n =="
    "$harness/peer.sh" "$n" --out "/tmp/stream-lag-bench-n$n.json" \
      --exporter "stream-lag-exporter|http://127.0.0.1:29200/metrics|$bin --redis.url \"\$REDIS_ADDR\" --streams.pattern \"\$STREAM_PATTERN\" --consumer-group '*' --web.listen-address 127.0.0.1:29200 --log.level warn|http://127.0.0.1:29200/-/ready"
  fi
  echo "== quiet-machine poll timing, N=$n (poll.py) =="
  python3 "$harness/poll.py" "$bin" "$n" | tee "/tmp/stream-lag-poll-n$n.json"
done
