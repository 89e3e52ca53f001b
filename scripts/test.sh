#!/usr/bin/env bash
# Quick start, step 2: the whole test suite.
#  1. gcc 12, -Werror, unit + end-to-end + fuzz-corpus replay tests;
#  2. clang 14, -Werror, same tests;
#  3. AddressSanitizer + UndefinedBehaviorSanitizer (gcc), same tests, leaks checked;
#  4. each libFuzzer target for a short run (clang), when KEFU_FUZZ_RUNS > 0: a fixed seed and
#     a fixed number of runs, so the same tree always fuzzes the same inputs (a red CI is a
#     real finding, not chance); KEFU_FUZZ_SECONDS caps the time.
# Prints a closing "N passed, N failed" line; exit status 0 only if all passed.
set -uo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
# e2e/pg_push.sh starts its own PostgreSQL; deps.sh installs it, so its
# absence is a failure here, not a skip.
export KEFU_REQUIRE_PG=${KEFU_REQUIRE_PG:-1}
FUZZ_SECONDS=${KEFU_FUZZ_SECONDS:-60}
FUZZ_RUNS=${KEFU_FUZZ_RUNS:-100000}
passed=0; failed=0; failures=()

step() { # name, command...
  local name=$1; shift
  echo "==> $name"
  if "$@"; then passed=$((passed+1)); else failed=$((failed+1)); failures+=("$name"); fi
}

build_and_test() { # dir, cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DKEFU_WERROR=ON "$@" >/dev/null &&
  ninja -C "$dir" &&
  ctest --test-dir "$dir" --output-on-failure -j "$JOBS"
}

step "gcc -Werror" build_and_test build-test-gcc -DCMAKE_C_COMPILER=gcc
step "clang -Werror" build_and_test build-test-clang -DCMAKE_C_COMPILER=clang
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
step "ASan+UBSan" build_and_test build-test-asan -DCMAKE_C_COMPILER=gcc -DKEFU_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
unset ASAN_OPTIONS UBSAN_OPTIONS

if [ "$FUZZ_RUNS" -gt 0 ]; then
  fuzz_all() {
    cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DKEFU_FUZZ=ON >/dev/null &&
    ninja -C build-fuzz || return 1
    local ok=0 f name
    for f in build-fuzz/fuzz/fuzz_*; do
      [ -x "$f" ] || continue
      name=$(basename "$f")
      mkdir -p "build-fuzz/corpus-$name"
      echo "fuzzing $name: $FUZZ_RUNS runs, seed 1"
      rm -rf "build-fuzz/corpus-$name"; mkdir -p "build-fuzz/corpus-$name"
      LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0" \
      "$f" -seed=1 -runs="$FUZZ_RUNS" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 "build-fuzz/corpus-$name" \
        "fuzz/corpus/$name" >"build-fuzz/$name.log" 2>&1 || { tail -40 "build-fuzz/$name.log"; ok=1; }
    done
    return $ok
  }
  step "fuzz ($FUZZ_RUNS runs per target)" fuzz_all
fi

echo
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
