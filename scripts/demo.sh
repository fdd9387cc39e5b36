#!/usr/bin/env bash
# The README's first command: a live demo on this machine, nothing left behind.
#
# Installs what is missing (Debian 12, as root), builds the exporter and the traffic generator,
# starts a PRIVATE redis-server on a free loopback port (never the system one), makes real and
# changing lag on three streams (events:remote's group stalls after 20 s), starts the exporter,
# prints the URLs to open and then each stream's lag every 5 s until Ctrl-C.
#
#   DEMO_PORT=9840     exporter port (a free one is picked if that one is taken)
#   DEMO_SECONDS=N     stop by itself N seconds after the demo is up (for unattended runs)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

demo_port=${DEMO_PORT:-9840}
demo_seconds=${DEMO_SECONDS:-}
if [ -n "$demo_seconds" ] && ! [[ "$demo_seconds" =~ ^[0-9]+$ ]]; then
  echo "demo: DEMO_SECONDS must be a whole number of seconds, not '$demo_seconds'" >&2
  exit 2
fi
if ! [[ "$demo_port" =~ ^[0-9]+$ ]] || [ "$demo_port" -lt 1 ] || [ "$demo_port" -gt 65535 ]; then
  echo "demo: DEMO_PORT must be a port number, not '$demo_port'" >&2
  exit 2
fi

say() { printf 'demo: %s\n' "$*"; }

# --- what the machine needs --------------------------------------------------------------
missing_tools() {
  local tool
  for tool in pkg-config redis-server redis-cli curl python3; do
    command -v "$tool" >/dev/null 2>&1 || echo "$tool"
  done
  if command -v pkg-config >/dev/null 2>&1; then
    pkg-config --exists hiredis || echo libhiredis-dev
    pkg-config --exists libmicrohttpd || echo libmicrohttpd-dev
    pkg-config --exists zlib || echo zlib1g-dev
    pkg-config --exists gnutls || echo libgnutls28-dev
  fi
}

if [ -n "$(missing_tools)" ]; then
  say "installing missing packages: $(missing_tools | tr '\n' ' ')"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "demo: run as root to install packages" >&2; exit 1; }
    sudo=sudo
  fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
    libhiredis-dev libmicrohttpd-dev libgnutls28-dev zlib1g-dev redis-server pkg-config curl python3
fi
if ! command -v swift >/dev/null 2>&1; then
  echo "demo: swift is not on PATH; install a Swift 6 toolchain from swift.org first" >&2
  exit 1
fi

# --- processes and their cleanup ------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/stream-lag-demo.XXXXXX")
redis_pid=""
traffic_pid=""
exporter_pid=""

# Stops our own children by PID (never by name: other redis-servers may be running), waits
# for them, then removes the temp dir. Runs once, on any exit.
stop_pid() {
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_pid "$traffic_pid"
  stop_pid "$exporter_pid"
  stop_pid "$redis_pid"
  rm -rf "$tmp"
  if [ -n "$redis_pid" ]; then say "stopped traffic, exporter and redis; removed $tmp"; fi
  exit "$status"
}
trap cleanup EXIT
# Ctrl-C is how the demo is meant to end, so it ends with status 0.
trap 'echo; exit 0' INT
trap 'exit 143' TERM

show_log() { # name file
  echo "demo: last lines of the $1 log:" >&2
  tail -n 20 "$2" >&2 || true
}

. scripts/lib/ports.sh

port_is_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

# --- build --------------------------------------------------------------------------------
say "building stream-lag-exporter and stream-lag-traffic (the first build takes a few minutes)"
for product in stream-lag-exporter stream-lag-traffic; do
  if ! swift build -c debug --product "$product" >"$tmp/build.log" 2>&1; then
    show_log "build" "$tmp/build.log"
    exit 1
  fi
done
bin=$(swift build -c debug --show-bin-path)

# --- private redis ------------------------------------------------------------------------
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$tmp" --logfile "$tmp/redis.log" --daemonize no &
redis_pid=$!
for i in $(seq 100); do
  if redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG; then break; fi
  if ! kill -0 "$redis_pid" 2>/dev/null || [ "$i" -eq 100 ]; then
    echo "demo: redis-server did not start on 127.0.0.1:$redis_port" >&2
    show_log "redis" "$tmp/redis.log"
    exit 1
  fi
  sleep 0.1
done
redis_url="redis://127.0.0.1:$redis_port/0"
say "private redis-server on 127.0.0.1:$redis_port (pid $redis_pid)"

# --- traffic ------------------------------------------------------------------------------
"$bin/stream-lag-traffic" --redis.url "$redis_url" \
  --produce-rate 50 --consume-rate 55 --consume-period 40s --stall events:remote --stall-after 20s 2>"$tmp/traffic.log" &
traffic_pid=$!
# Reading swings between 50% and 130% of 55/s around the 50/s written, every 40 s, so lag rises
# and drains again (healthy <-> degraded) instead of only growing.
say "traffic: 50 entries/s into events:chat, events:ticket, events:remote; the consumers read 28-72/s, so lag rises and falls; events:remote stops being read after 20 s"

# --- exporter -----------------------------------------------------------------------------
if ! port_is_free "$demo_port"; then
  busy=$demo_port
  demo_port=$(free_port)
  say "port $busy is taken; the exporter uses $demo_port"
fi
"$bin/stream-lag-exporter" --redis.url "$redis_url" \
  --web.listen-address "127.0.0.1:$demo_port" --poll.interval 1s --lag.stall-after 30s \
  2>"$tmp/exporter.log" &
exporter_pid=$!
base="http://127.0.0.1:$demo_port"
for i in $(seq 300); do
  if curl -fsS --max-time 1 "$base/-/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$exporter_pid" 2>/dev/null || [ "$i" -eq 300 ]; then
    echo "demo: the exporter did not become ready on $base" >&2
    show_log "exporter" "$tmp/exporter.log"
    exit 1
  fi
  sleep 0.1
done

cat <<EOF

  stream-lag-exporter is up. Open:
    $base/                               overview
    $base/metrics                        Prometheus metrics
    $base/api/v1/events/consumer-lag     lag per stream and group (JSON)
    $base/api/v1/events/streams          the streams (JSON)
    $base/api/v1/events/health           overall health (JSON; 503 when unhealthy)

  Try:  curl -s $base/metrics | grep '^event_consumer_lag'
  Redis: redis-cli -p $redis_port XINFO GROUPS events:chat

  events:remote's group stops reading after 20 s and shows as stalled 30 s later.
EOF
if [ -n "$demo_seconds" ]; then
  echo "  Stopping by itself after $demo_seconds s."
else
  echo "  Ctrl-C stops everything."
fi
echo

# --- every 5 s: each stream's lag ----------------------------------------------------------
print_lag() {
  local json
  if ! json=$(curl -fsS --max-time 2 "$base/api/v1/events/consumer-lag" 2>/dev/null); then
    echo "$(date +%T)  the exporter did not answer"
    return 0
  fi
  python3 -c '
import json, sys, time
d = json.load(sys.stdin)
parts = []
for name, s in sorted(d["streams"].items()):
    stalled = any(g.get("stalled") for g in (s.get("groups") or {}).values())
    lag = "?" if s.get("lag") is None else s["lag"]
    part = "%s lag=%s pending=%s %s" % (name, lag, s.get("pending", 0), s.get("status", "?"))
    parts.append(part + (" STALLED" if stalled else ""))
note = "" if d.get("redis_connected", True) else "  (redis down)"
print("%s  total_lag=%s%s  |  %s" % (time.strftime("%H:%M:%S"), d.get("total_lag"), note, "  |  ".join(parts)))
' <<<"$json" || echo "$(date +%T)  unreadable answer from the exporter"
}

started=$SECONDS
next=$SECONDS
while :; do
  if [ -n "$demo_seconds" ] && [ $((SECONDS - started)) -ge "$demo_seconds" ]; then break; fi
  for name in traffic exporter redis; do
    pid_var="${name}_pid"
    if ! kill -0 "${!pid_var}" 2>/dev/null; then
      echo "demo: $name exited unexpectedly" >&2
      show_log "$name" "$tmp/$name.log"
      exit 1
    fi
  done
  if [ "$SECONDS" -ge "$next" ]; then
    print_lag
    next=$((next + 5))
  fi
  sleep 1
done
say "ran for $demo_seconds s"
