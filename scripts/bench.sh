#!/usr/bin/env bash
# `make bench`: builds the server and the benchmark tools in BUILD_DIR (configured Release by the
# Makefile), runs every workload (tests/bench/run_bench.py), prints the table of figures and writes
# BUILD_DIR/bench-results.json. Figures only: a missed target never fails; the exit status is
# non-zero only when the tooling itself broke.
# Usage: scripts/bench.sh BUILD_DIR
# Environment (for a quick look): BENCH_DURATION (seconds per load run, default 8),
# BENCH_OBJECTS (keys of the listing bucket, default 1000000), BENCH_BIG_BYTES (default 1 GiB),
# BENCH_ONLY=small (only the ceiling and the 4 KiB GET/PUT workloads).
set -euo pipefail

build_dir=${1:?usage: scripts/bench.sh BUILD_DIR}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

cache="$build_dir/CMakeCache.txt"
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache" 2>/dev/null || true)
if [[ "$build_type" != "Release" ]]; then
  echo "bench: $build_dir is a '$build_type' build; figures are meaningful for Release only" >&2
fi
if ! grep -q '^LOGBUCKET_BENCH:BOOL=ON' "$cache" 2>/dev/null; then
  cmake -S "$root" -B "$build_dir" -DLOGBUCKET_BENCH=ON >/dev/null
fi
cmake --build "$build_dir" -j "$(nproc)" --target logbucket loadgen bare_server fill_store \
  micro_bench

build_dir=$(cd "$build_dir" && pwd)
cd "$root/tests/bench"
exec python3 run_bench.py "$build_dir"
