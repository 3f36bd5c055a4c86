#!/usr/bin/env bash
# Sets up what is missing, then builds and runs every test:
#   build/       the normal build        (unit, integration, fuzz replays)
#   build-asan/  ASan + UBSan            (the same suites)
#   build-fuzz/  clang + libFuzzer       (each fuzz target for a few seconds)
# Each ctest prints its summary; the script prints the totals and exits
# non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

./deploy/setup.sh --test --no-build || exit 1

fail=0
total_pass=0
total_fail=0

run_suite() {
  local dir=$1; shift
  echo "=== $dir: configure and build"
  mkdir -p "$dir"
  if ! cmake -S . -B "$dir" "$@" > "$dir/configure.log" 2>&1; then
    echo "=== $dir: CONFIGURE FAILED"; tail -n 40 "$dir/configure.log"; fail=1; return
  fi
  if ! cmake --build "$dir" -j "$jobs" > "$dir/build.log" 2>&1; then
    echo "=== $dir: BUILD FAILED"; grep -E 'error|Error' "$dir/build.log" | head -n 40; fail=1; return
  fi
  echo "=== $dir: ctest"
  local log="$dir/ctest.log"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 900) 2>&1 | tee "$log"
  local st=${PIPESTATUS[0]}
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of' "$log" | tail -n 1)
  if [[ $line =~ ([0-9]+)%\ tests\ passed,\ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]]; then
    total_fail=$((total_fail + BASH_REMATCH[2]))
    total_pass=$((total_pass + BASH_REMATCH[3] - BASH_REMATCH[2]))
  fi
  [ "$st" = 0 ] || fail=1
}

run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DXIO_SANITIZE=ON
CC=clang run_suite build-fuzz -DCMAKE_BUILD_TYPE=Debug -DXIO_FUZZ=ON -DCMAKE_C_COMPILER=clang

echo
echo "all builds: $total_pass passed, $total_fail failed"
exit $fail
