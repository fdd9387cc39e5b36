#!/usr/bin/env bash
# libFuzzer over every parser of outside input (Sources/Fuzz): builds stream-lag-fuzz with
# -sanitize=fuzzer,address, optimised (about 4x the execs/s of a debug build), in .build/fuzz;
# proves a planted crash is found; replays every past finding (Tests/Fuzz/regressions), then runs each target for SECONDS from a temporary
# copy of its seed corpus (Tests/Fuzz/corpus is never written), two targets at a time.
# Fails on any crash, leak, timeout or out-of-memory, printing the reproducer's path.
#
#   scripts/fuzz.sh [seconds-per-target] [target ...]     (default: 60 s, every target)
#   FUZZ_KEEP=1 keeps the work directory (grown corpora, logs) and prints where it is.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
all_targets=(redis-url duration flags authorization jwt web-config resp collector http)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
planted_bound=${FUZZ_PLANTED_SECONDS:-120}

. scripts/lib/packages.sh
ensure_packages libhiredis-dev libmicrohttpd-dev libgnutls28-dev zlib1g-dev libcrypt-dev pkg-config

build_start=$(date +%s)
swift build -c release --scratch-path .build/fuzz --product stream-lag-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING 2>&1 | grep -v "_FILE_OFFSET_BITS" | tail -n 3
fuzzer="$(swift build -c release --scratch-path .build/fuzz --show-bin-path -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING)/stream-lag-fuzz"
echo "fuzzer built in $(( $(date +%s) - build_start )) s: $fuzzer"

work=$(mktemp -d "${TMPDIR:-/tmp}/stream-lag-fuzz.XXXXXX")
findings=.build/fuzz/findings
mkdir -p "$findings"
if [ "${FUZZ_KEEP:-0}" = 1 ]; then
  echo "work directory (kept): $work"
else
  trap 'rm -rf "$work"' EXIT
fi
# The Swift runtime's backtracer would catch the traps libFuzzer must see. The fixtures the auth
# targets write go under $work too.
export SWIFT_BACKTRACE=enable=no TMPDIR="$work"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
common=(-timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1)

# 1. The planted crash must be found from an empty corpus, or nothing below can be trusted.
mkdir -p "$work/planted/corpus" "$work/planted/artifacts"
start=$(date +%s)
if "$fuzzer" planted "${common[@]}" -max_total_time="$planted_bound" -artifact_prefix="$work/planted/artifacts/" \
    "$work/planted/corpus" </dev/null >"$work/planted/log" 2>&1; then
  echo "FAIL planted: libFuzzer did not find the planted crash within ${planted_bound} s (see $findings/planted.log)"
  cp "$work/planted/log" "$findings/planted.log"
  exit 1
fi
reproducer=$(ls "$work/planted/artifacts/"crash-* 2>/dev/null | head -n 1 || true)
if [ -z "$reproducer" ] || ! grep -q "planted crash found" "$work/planted/log"; then
  echo "FAIL planted: the fuzzer stopped without the planted crash (see $findings/planted.log)"
  cp "$work/planted/log" "$findings/planted.log"
  exit 1
fi
echo "ok   planted: found in $(( $(date +%s) - start )) s, input $(od -An -c "$reproducer" | tr -s ' ' | head -c 40)"

# 2. Every past finding still passes.
for target in "${targets[@]}"; do
  dir=Tests/Fuzz/regressions/$target
  [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] || continue
  if ! "$fuzzer" "$target" "${common[@]}" "$dir"/* </dev/null >"$work/regressions-$target.log" 2>&1; then
    echo "FAIL $target: a regression input crashes again (log: $findings/regressions-$target.log)"
    cp "$work/regressions-$target.log" "$findings/"
    grep -E "Running: " "$work/regressions-$target.log" | tail -n 1 || true
    exit 1
  fi
  echo "ok   $target: $(ls "$dir" | wc -l) regression inputs replayed"
done

# 3. Each target for $seconds from a copy of its seeds, two at a time (the machine's two cores).
run_target() {
  local target=$1 dir="$work/$1"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  [ -d "Tests/Fuzz/corpus/$target" ] && cp -R "Tests/Fuzz/corpus/$target/." "$dir/corpus/"
  local status=0 dict=()
  [ -f "Tests/Fuzz/dict/$target.dict" ] && dict=(-dict="Tests/Fuzz/dict/$target.dict")
  "$fuzzer" "$target" "${common[@]}" "${dict[@]}" -max_total_time="$seconds" -artifact_prefix="$dir/artifacts/" \
    "$dir/corpus" </dev/null >"$dir/log" 2>&1 || status=$?
  echo "$status" >"$dir/status"
}
running=0
for target in "${targets[@]}"; do
  if [ "$running" -ge 2 ]; then wait -n || true; running=$((running - 1)); fi
  run_target "$target" &
  running=$((running + 1))
done
wait || true

failed=0
printf '%-14s %8s %10s %8s %8s %s\n' target seeds execs exec/s corpus result
for target in "${targets[@]}"; do
  dir="$work/$target"
  status=$(cat "$dir/status" 2>/dev/null || echo "?")
  execs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$dir/log" | grep -oE "[0-9]+$" || echo 0)
  rate=$(grep -oE "stat::average_exec_per_sec: *[0-9]+" "$dir/log" | grep -oE "[0-9]+$" || echo 0)
  seeds=$(ls "Tests/Fuzz/corpus/$target" 2>/dev/null | wc -l)
  grown=$(ls "$dir/corpus" | wc -l)
  artifact=$(ls "$dir/artifacts/" 2>/dev/null | head -n 1 || true)
  if [ "$status" = 0 ] && [ -z "$artifact" ]; then
    result=ok
  else
    failed=1
    kind=$(grep -m1 -oE "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-z-]+|Fatal error: [^\n]*|deadly signal|timeout|out-of-memory" "$dir/log" || echo "exit $status")
    result="FAIL ($kind)"
    cp "$dir/log" "$findings/$target.log"
    if [ -n "$artifact" ]; then
      cp "$dir/artifacts/$artifact" "$findings/$target-$artifact"
      result="$result reproducer: $findings/$target-$artifact (replay: SWIFT_BACKTRACE=enable=no $fuzzer $target $findings/$target-$artifact)"
    fi
  fi
  printf '%-14s %8s %10s %8s %8s %s\n' "$target" "$seeds" "$execs" "$rate" "$grown" "$result"
done
[ "$failed" = 0 ] || { echo "fuzzing found problems; logs in $findings"; exit 1; }
echo "fuzzing: ${#targets[@]} targets x ${seconds} s, no crash, leak or timeout"
