#!/usr/bin/env bash
# The unit and end-to-end suites under ThreadSanitizer and/or AddressSanitizer (issue 12).
#
#   scripts/sanitize.sh thread|address|all [swift test arguments, e.g. --filter LifecycleTests]
#
# Each sanitizer builds in its own scratch path (.build/tsan, .build/asan), so the normal
# .build/debug is untouched. STREAM_LAG_BIN_DIR points at that build's bin path: the end-to-end
# tests start the INSTRUMENTED exporter (and stream-lag-traffic) as child processes. Those children
# inherit TSAN_OPTIONS / ASAN_OPTIONS, whose log_path sends every report, from the test runner or
# from any child, to a file in a fresh folder. The stage fails if `swift test` fails OR if that
# folder holds any report afterwards (a report in a child process that no test noticed still
# fails the stage). The reports are printed.
#
# One Redis version only: Debian's redis-server 7.0 (the one with TLS, so the TLS tests run
# too). The version matrix is the normal suite's job; a sanitizer finds bugs in our process,
# not in Redis' replies. Override with STREAM_LAG_REDIS_SERVERS if you must.
#
# Assumes the packages scripts/test.sh installs (it runs first in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

usage() { echo "usage: $0 thread|address|all [swift test arguments]" >&2; exit 2; }
[ $# -ge 1 ] || usage
mode=$1; shift
case "$mode" in
  thread) sanitizers=(thread) ;;
  address) sanitizers=(address) ;;
  all) sanitizers=(thread address) ;;
  *) usage ;;
esac

if [ -z "${STREAM_LAG_REDIS_SERVERS:-}" ]; then
  STREAM_LAG_REDIS_SERVERS="7.0=$(command -v redis-server || echo /usr/bin/redis-server)"
fi
export STREAM_LAG_REDIS_SERVERS
echo "redis servers: $STREAM_LAG_REDIS_SERVERS"

# Swift's own crash backtracer would also catch the signal a sanitizer raises; let the
# sanitizer speak alone.
export SWIFT_BACKTRACE=enable=no

status=0
for sanitizer in "${sanitizers[@]}"; do
  # STREAM_LAG_TSAN: each module that locks uses a pthread mutex TSan can see in place of
  # Synchronization.Mutex, whose contended hand-over in the kernel TSan cannot
  # (Sources/SanitizerMutex/PThreadMutex.swift).
  case "$sanitizer" in
    thread) flags=(--sanitize=thread -Xswiftc -DSTREAM_LAG_TSAN --scratch-path .build/tsan) ;;
    address) flags=(--sanitize=address --scratch-path .build/asan) ;;
  esac
  scratch=${flags[-1]}
  echo "=== $sanitizer sanitizer: build ($scratch)"
  start=$(date +%s)
  swift build --build-tests "${flags[@]}"
  built=$(date +%s)
  STREAM_LAG_BIN_DIR=$(swift build --show-bin-path "${flags[@]}")
  export STREAM_LAG_BIN_DIR

  logs=$(mktemp -d "${TMPDIR:-/tmp}/slx-$sanitizer-XXXXXX")
  # halt_on_error=0: a process goes on after a report, so one run lists every report; the
  # report files decide. exitcode: a process that reported exits 66, which the tests that check
  # an exit status see too.
  common="halt_on_error=0:exitcode=66:log_path=$logs/report"
  case "$sanitizer" in
    thread)
      export TSAN_OPTIONS="$common:second_deadlock_stack=1:suppressions=$root/scripts/sanitize/tsan.supp"
      unset ASAN_OPTIONS LSAN_OPTIONS || true ;;
    address)
      # detect_leaks: LeakSanitizer at each instrumented process' exit.
      export ASAN_OPTIONS="$common:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1"
      export LSAN_OPTIONS="suppressions=$root/scripts/sanitize/lsan.supp:print_suppressions=0"
      unset TSAN_OPTIONS || true ;;
  esac
  echo "=== $sanitizer sanitizer: test (bin $STREAM_LAG_BIN_DIR, reports to $logs)"
  set +e
  swift test --skip-build --disable-xctest "${flags[@]}" "$@"
  tested=$?
  set -e
  finished=$(date +%s)

  reports=$(find "$logs" -type f -name 'report*' | sort)
  if [ -n "$reports" ]; then
    echo "=== $sanitizer sanitizer: $(echo "$reports" | wc -l) report file(s):"
    for f in $reports; do echo "--- $f"; cat "$f"; done
    status=1
  else
    rmdir "$logs" 2>/dev/null || true
  fi
  if [ $tested -ne 0 ]; then
    echo "=== $sanitizer sanitizer: swift test failed ($tested)"
    status=1
  fi
  verdict="no reports"
  [ -z "$reports" ] || verdict="REPORTS FOUND"
  echo "=== $sanitizer sanitizer: build $((built - start)) s, test $((finished - built)) s, $verdict" \
       "(load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
done
exit $status
