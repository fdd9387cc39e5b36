#!/usr/bin/env bash
# Writes Sources/StreamLagExporter/exporter.order: the functions the release exporter runs,
# which the release link (Package.swift, lld's --symbol-ordering-file) places side by side at
# the start of the code. The kernel maps code in 64 KB blocks around each page that is first
# run, so code spread over the binary keeps far more of it resident than the exporter runs
# (docs/performance.md, "Code that runs, kept together"). Run it again after large changes and
# commit the file; a function missing from it still links and runs, only outside the block.
#
# How: the static release build (without its DWARF, which valgrind cannot read) runs under
# callgrind against a private redis-server on a free loopback port: 1,000 streams with two
# groups, pending entries, a key of another type, every endpoint and encoding scraped, a stream
# added for discovery, then SIGTERM. Every function callgrind saw that is in the binary's symbol
# table is written, one a line, the most instructions of its own first.
# Usage: scripts/order-file.sh               (writes the file)
#        scripts/order-file.sh --check [BIN]  (only says how many of the file's functions BIN,
#                                             by default the release build, still has)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
. scripts/lib/packages.sh
. scripts/lib/ports.sh
out=Sources/StreamLagExporter/exporter.order
build=(-c release --static-swift-stdlib --scratch-path .build/static)
symbols() { nm --defined-only "$1" | awk '$2 ~ /^[tTwW]$/ {print $3}' | sort -u; }
if [ "${1:-}" = "--check" ]; then
  bin=${2:-}
  if [ -z "$bin" ]; then
    swift build "${build[@]}" --product stream-lag-exporter >&2
    bin=$(swift build "${build[@]}" --show-bin-path)/stream-lag-exporter
  fi
  found=$(sort -u "$out" | comm -12 - <(symbols "$bin") | wc -l)
  echo "link order: $found of $(wc -l < "$out") functions in $out are in $bin (scripts/order-file.sh writes it again)"
  exit 0
fi
ensure_packages redis-server redis-tools valgrind curl binutils
swift build "${build[@]}" --product stream-lag-exporter >&2
bin=$(swift build "${build[@]}" --show-bin-path)/stream-lag-exporter
tmp=$(mktemp -d)
symbols "$bin" > "$tmp/symbols"
rport=$(free_port); web=$(free_port)
redis_pid=""; exporter_pid=""
cleanup() {
  [ -z "$exporter_pid" ] || kill "$exporter_pid" 2>/dev/null || true
  [ -z "$redis_pid" ] || kill "$redis_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" > "$tmp/redis.log" 2>&1 &
redis_pid=$!
until redis-cli -p "$rport" ping > /dev/null 2>&1; do sleep 0.1; done
python3 - > "$tmp/load.resp" <<'PY'
import sys
def cmd(*a):
    sys.stdout.write(f"*{len(a)}\r\n" + "".join(f"${len(x.encode())}\r\n{x}\r\n" for x in a))
for s in range(1000):
    key = f"events:{s}"
    for e in range(20):
        cmd("XADD", key, "*", "n", str(e))
    cmd("XGROUP", "CREATE", key, "billing", "0")
    cmd("XGROUP", "CREATE", key, "audit", "$")
    cmd("XREADGROUP", "GROUP", "billing", f"worker-{s % 3}", "COUNT", str(s % 7), "STREAMS", key, ">")
cmd("SET", "events:not-a-stream", "x")
PY
redis-cli -p "$rport" --pipe < "$tmp/load.resp" > /dev/null
strip --strip-debug -o "$tmp/exporter" "$bin"
valgrind --tool=callgrind --demangle=no --compress-strings=no --compress-pos=no \
  --callgrind-out-file="$tmp/callgrind.out" "$tmp/exporter" --redis.url "redis://127.0.0.1:$rport/0" \
  --streams.pattern 'events:*' --consumer-group '*' --poll.interval 1s \
  --web.listen-address "127.0.0.1:$web" --log.level info > "$tmp/exporter.log" 2>&1 &
exporter_pid=$!
until curl -sf -o /dev/null "http://127.0.0.1:$web/-/ready"; do
  kill -0 "$exporter_pid" 2>/dev/null || { cat "$tmp/exporter.log" >&2; exit 1; }
  sleep 0.5
done
om='Accept: application/openmetrics-text; version=1.0.0'
for round in 1 2 3; do
  for path in /metrics / /api/v1/events/consumer-lag /api/v1/events/streams /api/v1/events/health \
      /-/healthy /-/ready /no-such-page; do
    curl -s -o /dev/null "http://127.0.0.1:$web$path"
    curl -s -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$web$path"
  done
  curl -s -o /dev/null -H "$om" "http://127.0.0.1:$web/metrics"
  curl -s -o /dev/null -H "$om" -H 'Accept-Encoding: gzip' "http://127.0.0.1:$web/metrics"
  redis-cli -p "$rport" xadd "events:new-$round" '*' n 1 > /dev/null
  sleep 3
done
kill -TERM "$exporter_pid"; wait "$exporter_pid" || true; exporter_pid=""
# Each function's own instructions (callgrind's cost lines, less those that follow a calls= line,
# which are the callee's), most first, so that the hottest code sits together at the very start.
python3 - "$tmp/callgrind.out" "$tmp/symbols" > "$out" <<'PY'
import sys
own, fn, after_call = {}, None, False
for line in open(sys.argv[1]):
    if line.startswith("fn="):
        fn = line[3:].strip(); own.setdefault(fn, 0); after_call = False
    elif line.startswith("cfn="):
        own.setdefault(line[4:].strip(), 0)
    elif line.startswith("calls="):
        after_call = True
    elif fn is not None and line[:1].isdigit():
        if not after_call:
            own[fn] += int(line.split()[1])
        after_call = False
symbols = set(open(sys.argv[2]).read().split())
for name in sorted((n for n in own if n in symbols), key=lambda n: (-own[n], n)):
    print(name)
PY
echo "order-file: $(wc -l < "$out") functions written to $out"
# SwiftPM does not know the link reads this file: remove the binary so the next build links again.
rm -f "$bin"
