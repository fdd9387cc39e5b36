#!/usr/bin/env bash
# Side-by-side benchmark on the shared harness (../shared/bench-peer, run, not copied), release
# build. For each N (default 1000):
#   1. peer.sh: stream-lag-exporter next to redis_exporter, nginx serving the same body, and the
#      pipelined limit; measured after the exporter's first poll (its /-/ready);
#   2. poll.py: the quiet-machine poll timing (poll wall time, CPU a poll with rendering, round
#      trips, commands, RSS and peak RSS, and the ratios to the pipelined limit), separately.
#   3. with --cluster: scripts/cluster-bench.py, one Redis with N streams against a Redis
#      Cluster of three primaries with 3N streams, polled in the same run.
#   4. with --render: stream-lag-renderbench, what a publication costs without Redis (the
#      /metrics and JSON bodies and the health findings of a synthetic snapshot of N streams).
#   5. with --window: scripts/window-rss.py, the memory held once every group's --lag.window is
#      full (the shipped defaults, 5 s polls and a 5 m window: 330 s a size), which poll.py's
#      10 polls never reach.
#   6. with --answer: scripts/answer-during-poll.py, how fast /metrics and the API answer while
#      the exporter polls (250 ms polls, every endpoint asked every 0.1 s for 30 s).
# Usage: scripts/bench.sh [--poll-only] [N ...]   e.g. scripts/bench.sh 100 1000 10000
#        scripts/bench.sh --poll-only 10000 100000
#        scripts/bench.sh --cluster 10000
#        scripts/bench.sh --window 10000 100000
#        scripts/bench.sh --render 10000 100000
#        scripts/bench.sh --answer 100000
# Results: the harness' tables and JSON (/tmp/stream-lag-bench-nN.json), poll.py's JSON
# (/tmp/stream-lag-poll-nN.json); docs/performance.md says how to read them.
set -euo pipefail
cd "$(dirname "$0")/.."
poll_only=false
cluster=false
window=false
render=false
answer=false
if [ "${1:-}" = "--poll-only" ]; then poll_only=true; shift; fi
if [ "${1:-}" = "--cluster" ]; then cluster=true; shift; fi
if [ "${1:-}" = "--window" ]; then window=true; shift; fi
if [ "${1:-}" = "--render" ]; then render=true; shift; fi
if [ "${1:-}" = "--answer" ]; then answer=true; shift; fi
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000)
harness=../shared/bench-peer
[ -x "$harness/peer.sh" ] || { echo "bench: $harness/peer.sh not found (the shared folder sits beside this checkout)" >&2; exit 2; }
. scripts/lib/packages.sh
ensure_packages redis-server redis-tools prometheus-redis-exporter wrk nginx python3-redis curl gcc libhiredis-dev \
  libmicrohttpd-dev libgnutls28-dev pkg-config
# Debian's python3, where python3-redis is installed (a python3 earlier on PATH may lack it).
py=/usr/bin/python3
# Built as it ships (deploy/container/Dockerfile): release, the Swift runtime linked statically,
# in a scratch path of its own.
build=(-c release --static-swift-stdlib --scratch-path .build/static)
if $render; then
  swift build "${build[@]}" --product stream-lag-renderbench
  for n in "${sizes[@]}"; do
    echo "== a publication's work at N=$n, no Redis (stream-lag-renderbench) =="
    "$(swift build "${build[@]}" --show-bin-path)/stream-lag-renderbench" "$n" "$([ "$n" -ge 100000 ] && echo 5 || echo 15)"
  done
  exit 0
fi
swift build "${build[@]}" --product stream-lag-exporter
bin=$(swift build "${build[@]}" --show-bin-path)/stream-lag-exporter
# The link order goes stale as the code changes: say how much of it still holds.
scripts/order-file.sh --check "$bin"
if $window; then
  for n in "${sizes[@]}"; do
    echo "== memory with full lag windows, N=$n (scripts/window-rss.py, shipped defaults, 330 s) =="
    "$py" scripts/window-rss.py "$bin" "$n" 330 | tee "/tmp/stream-lag-window-n$n.json"
  done
  exit 0
fi
if $answer; then
  for n in "${sizes[@]}"; do
    echo "== answering while polling, N=$n (scripts/answer-during-poll.py, 250 ms polls, 30 s) =="
    "$py" scripts/answer-during-poll.py "$bin" "$n" 30 | tee "/tmp/stream-lag-answer-n$n.json"
  done
  exit 0
fi
if $cluster; then
  for n in "${sizes[@]}"; do
    echo "== one Redis with $n streams against a 3-primary cluster with $((3 * n)) (scripts/cluster-bench.py) =="
    "$py" scripts/cluster-bench.py "$bin" "$n" | tee "/tmp/stream-lag-cluster-n$n.json"
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
  "$py" "$harness/poll.py" "$bin" "$n" | tee "/tmp/stream-lag-poll-n$n.json"
done
