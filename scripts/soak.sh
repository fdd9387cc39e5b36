#!/usr/bin/env bash
# The soak: scripts/soak.sh [minutes] (default 30; CI runs 3).
#
# On this machine or a fresh Debian 12 one (as root: installs what is missing with apt-get):
# builds the exporter and the traffic generator (debug, as the test suite does; inside
# scripts/test.sh its STREAM_LAG_BIN_DIR is used as it is; SOAK_CONFIGURATION=release builds
# release), then runs scripts/soak.py: a private redis-server on a free loopback port (data
# kept across restarts: appendonly, fsync always), restarted every few minutes alternately by
# SIGKILL and SHUTDOWN; the exporter polling every 250 ms with discovery; stream-lag-traffic;
# streams and groups created and deleted every 2 s; wrk scraping /metrics and the API; the
# exporter's RSS, fds and threads sampled every 2 s; its JSON compared with redis-cli's XLEN,
# XINFO and XPENDING every ~5 s.
#
# Writes samples.csv, summary.txt, soak.png and every log to SOAK_OUT (default .build/soak).
# SOAK_PNG=path also copies the PNG there (docs/soak.png comes from a 30-minute run).
# SOAK_PLANT=mismatch|rewind|kill makes one fault on purpose, to see the soak fail on it.
# Exits non-zero when RSS, fds or threads grow beyond the stated tolerance, on any mismatch
# with Redis, any warn/error log line that the soak did not induce, or the exporter dying.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=${1:-30}
if ! [[ "$minutes" =~ ^[0-9]+([.][0-9]+)?$ ]] || [ "$(python3 -c "print(int(float('$minutes') > 0))" 2>/dev/null)" != 1 ]; then
  echo "soak: minutes must be a positive number, not '$minutes'" >&2
  exit 2
fi
configuration=${SOAK_CONFIGURATION:-debug}
out=${SOAK_OUT:-.build/soak}

. scripts/lib/packages.sh
ensure_packages libhiredis-dev libmicrohttpd-dev libgnutls28-dev zlib1g-dev redis-server wrk gnuplot-nox python3 pkg-config

# Inside scripts/test.sh the suite's build is used as it is (STREAM_LAG_BIN_DIR, debug).
if [ -n "${STREAM_LAG_BIN_DIR:-}" ] && [ -z "${SOAK_CONFIGURATION:-}" ] &&
   [ -x "$STREAM_LAG_BIN_DIR/stream-lag-exporter" ] && [ -x "$STREAM_LAG_BIN_DIR/stream-lag-traffic" ]; then
  bin=$STREAM_LAG_BIN_DIR
  echo "soak: using the binaries in $bin"
else
  build_start=$(date +%s)
  swift build -c "$configuration" --product stream-lag-exporter
  swift build -c "$configuration" --product stream-lag-traffic
  bin=$(swift build -c "$configuration" --show-bin-path)
  echo "soak: build ($configuration) took $(( $(date +%s) - build_start ))s"
fi

rm -rf "$out"
mkdir -p "$out"
args=("$minutes" --bin-dir "$bin" --out "$out")
if [ -n "${SOAK_PNG:-}" ]; then args+=(--png "$SOAK_PNG"); fi
exec python3 scripts/soak.py "${args[@]}"
