#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang 16, ASan and UBSan, and runs each for a
# bounded time. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   FUZZ_BUILD_DIR  build directory (default build-fuzz)
#   FUZZ_JOBS       parallel libFuzzer jobs per target (default 1: one process, no -jobs)
#   FUZZ_RUNS       also stop a target after this many executions (the long campaign:
#                   FUZZ_RUNS=10000000 with 3600 seconds)
#   FUZZ_WORK_DIR   where new inputs and crash files go (default $FUZZ_BUILD_DIR/fuzz-work);
#                   the committed seed corpora under tests/fuzz/corpus/ are only read.
# Exits non-zero when a target crashes, leaks, hangs (-timeout) or exceeds -rss_limit_mb; the
# reproducer is left in FUZZ_WORK_DIR/<target>/ (crash-*, leak-*, timeout-*, oom-*).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build=$(realpath -m "${FUZZ_BUILD_DIR:-build-fuzz}")
work=$(realpath -m "${FUZZ_WORK_DIR:-$build/fuzz-work}")
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
jobs=${FUZZ_JOBS:-1}
runs=()
[ -n "${FUZZ_RUNS:-}" ] && runs=(-runs="$FUZZ_RUNS")
status=0
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  echo "fuzz: $t for ${seconds}s${FUZZ_RUNS:+ or $FUZZ_RUNS runs}"
  log="$work/$t.log"
  args=("$work/$t" "$PWD/tests/fuzz/corpus/$t" -max_total_time="$seconds" "${runs[@]}"
        -timeout=10 -rss_limit_mb=2048 -max_len=8192 -artifact_prefix="$work/$t/"
        -print_final_stats=1)
  ok=1
  started="$work/$t.started"
  touch "$started"
  if ((jobs > 1)); then
    # With -jobs libFuzzer writes each job's output to fuzz-<n>.log in the working directory.
    mkdir -p "$work/$t-jobs"
    rm -f "$work/$t-jobs"/fuzz-*.log
    (cd "$work/$t-jobs" && "$build/tests/fuzz/${t}_fuzz" "${args[@]}" -jobs="$jobs" \
       -workers="$jobs") >"$log" 2>&1 || ok=0
    cat "$work/$t-jobs"/fuzz-*.log >>"$log" 2>/dev/null || true
  else
    "$build/tests/fuzz/${t}_fuzz" "${args[@]}" >"$log" 2>&1 || ok=0
  fi
  # A finding of this run leaves its reproducer behind (crash-, leak-, timeout-, oom-).
  if [ -n "$(find "$work/$t" -maxdepth 1 -newer "$started" \( -name 'crash-*' -o \
       -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) -print -quit)" ]; then
    ok=0
  fi
  if ((!ok)); then
    echo "fuzz: $t FAILED (log: $log)"
    grep -E 'ERROR|SUMMARY|runtime error|Test unit written|==[0-9]+==' "$log" | head -20 || true
    status=1
    continue
  fi
  { grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | sed -E 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [^ ]+).*/\1/'
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
      "$log" | sed 's/^stat:://; s/:[[:space:]]*/=/'; } | tr '\n' ' ' | sed "s/^/fuzz: $t /"
  echo
done
exit $status
