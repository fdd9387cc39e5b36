#!/usr/bin/env bash
# The whole test suite, on a fresh Debian 12 machine or this one: installs what it needs,
# fetches the Redis 6.2 and 8.2 servers of the version matrix, builds, and runs every test
# (unit tests of the core, end-to-end tests of the real binary against each Redis version).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libhiredis-dev libmicrohttpd-dev libgnutls28-dev zlib1g-dev redis-server prometheus pkg-config curl openssl python3 chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
fi

# One suite, run once per Redis version (Tests/EndToEndTests/Support/RedisServer.swift).
STREAM_LAG_REDIS_SERVERS=$(scripts/fetch-redis.sh | paste -sd, -)
export STREAM_LAG_REDIS_SERVERS
echo "redis servers: $STREAM_LAG_REDIS_SERVERS"

swift build --build-tests
STREAM_LAG_BIN_DIR=$(swift build --show-bin-path)
export STREAM_LAG_BIN_DIR
swift test --skip-build --disable-xctest "$@"
