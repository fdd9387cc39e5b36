#!/usr/bin/env bash
# The whole test suite, on a fresh Debian 12 machine or this one: installs what it needs,
# fetches the Redis 6.2 and 8.2 servers of the version matrix, builds, and runs every stage:
#   main       unit tests of the core, end-to-end tests of the real binary against each Redis version
#   soak       3 minutes of Redis restarts, churn and scrapes (scripts/soak.sh 3): flat RSS, fds,
#              threads, and every checked figure equal to Redis' own
#   sanitizers the same suite under ThreadSanitizer, then AddressSanitizer (+ LeakSanitizer), Redis 7.0
#   fuzz       every libFuzzer target for 60 s from its seed corpus, the planted crash, past findings
# STREAM_LAG_STAGES="main sanitizers" picks stages. Extra arguments go to the main stage's
# `swift test` (e.g. --filter Lifecycle), and then only the main stage runs unless
# STREAM_LAG_STAGES says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -gt 0 ]; then
  stages=${STREAM_LAG_STAGES:-main}
else
  stages=${STREAM_LAG_STAGES:-main soak sanitizers fuzz}
fi
has_stage() { [[ " $stages " == *" $1 "* ]]; }
stage_times=()
stage_started=$SECONDS
stage_done() {
  stage_times+=("$1 $((SECONDS - stage_started)) s")
  stage_started=$SECONDS
}

. scripts/lib/packages.sh
ensure_packages libhiredis-dev libmicrohttpd-dev libgnutls28-dev zlib1g-dev redis-server prometheus pkg-config curl \
  openssl python3 chromium
if ! python3 -m pip --version >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
fi

# One suite, run once per Redis version (Tests/EndToEndTests/Support/RedisServer.swift).
STREAM_LAG_REDIS_SERVERS=$(scripts/fetch-redis.sh | paste -sd, -)
export STREAM_LAG_REDIS_SERVERS
echo "redis servers: $STREAM_LAG_REDIS_SERVERS"

stage_done setup

if has_stage main; then
  echo "=== stage main"
  swift build --build-tests
  STREAM_LAG_BIN_DIR=$(swift build --show-bin-path)
  export STREAM_LAG_BIN_DIR
  swift test --skip-build --disable-xctest "$@"
  stage_done main
fi

if has_stage soak; then
  echo "=== stage soak"
  # The main stage's build when it ran (STREAM_LAG_BIN_DIR), else its own.
  scripts/soak.sh 3
  stage_done soak
fi

if has_stage sanitizers; then
  echo "=== stage sanitizers"
  # Debian's 7.0 only (scripts/sanitize.sh says why).
  (unset STREAM_LAG_REDIS_SERVERS STREAM_LAG_BIN_DIR; scripts/sanitize.sh thread)
  stage_done tsan
  (unset STREAM_LAG_REDIS_SERVERS STREAM_LAG_BIN_DIR; scripts/sanitize.sh address)
  stage_done asan
fi

if has_stage fuzz; then
  echo "=== stage fuzz"
  scripts/fuzz.sh 60
  stage_done fuzz
fi

echo "=== stages passed: ${stage_times[*]/%/;}"
