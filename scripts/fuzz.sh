#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang 16, ASan and UBSan, and runs each for a
# bounded time. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   FUZZ_BUILD_DIR  build directory (default build-fuzz)
#   FUZZ_JOBS       parallel libFuzzer jobs per target (default 1)
#   FUZZ_WORK_DIR   where new inputs and crash files go (default $FUZZ_BUILD_DIR/fuzz-work);
#                   the committed seed corpora under tests/fuzz/corpus/ are only read.
# Exits non-zero when a target crashes, leaks, hangs (-timeout) or exceeds -rss_limit_mb; the
# reproducer is left in FUZZ_WORK_DIR/<target>/ (crash-*, leak-*, timeout-*, oom-*).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build=${FUZZ_BUILD_DIR:-build-fuzz}
work=${FUZZ_WORK_DIR:-$build/fuzz-work}
all_targets=(http_head routing sigv4 aws_chunked xml config access_log_line)
targets=("$@")
((${#targets[@]})) || targets=("${all_targets[@]}")

scripts/install-deps.sh --fuzz
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-16 \
  -DCMAKE_CXX_COMPILER=clang++-16 -DLOGBUCKET_FUZZ=ON -DLOGBUCKET_TESTS=OFF \
  "${launcher[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/%/_fuzz}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
status=0
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  echo "fuzz: $t for ${seconds}s"
  log="$work/$t.log"
  if ! "$build/tests/fuzz/${t}_fuzz" "$work/$t" "tests/fuzz/corpus/$t" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
      -jobs="${FUZZ_JOBS:-1}" -workers="${FUZZ_JOBS:-1}" -artifact_prefix="$work/$t/" \
      -print_final_stats=1 >"$log" 2>&1; then
    echo "fuzz: $t FAILED (log: $log)"
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20 || true
    status=1
    continue
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
    "$log" | tr '\n' ' ' | sed "s/^/fuzz: $t /"
  echo
done
exit $status
