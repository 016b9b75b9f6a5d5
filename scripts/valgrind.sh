#!/usr/bin/env bash
# valgrind memcheck on a short training run (tests/valgrind/short_training.cpp: fit on 3 batches,
# predict, save and load) of each model kind the benchmark trains. Prints each run's ERROR
# SUMMARY and "definitely lost" lines; exits 1 unless every run has 0 errors and 0 bytes
# definitely lost.
#   scripts/valgrind.sh [model...]     (default: all nine kinds)
# Built without -march=native: valgrind does not decode AVX-512. Leaks count as errors when they
# are definite or indirect: libgomp keeps its worker threads (and their TLS, which memcheck
# calls "possibly lost") alive until exit by design.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${AE_VALGRIND_BUILD:-$root/build/valgrind}
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(vanilla sparse tied vae stacked conv conv_book lstm gru)
command -v valgrind >/dev/null || scripts/install_deps.sh valgrind
mkdir -p "$build/tmp"

bin=$build/short_training
if [ ! -x "$bin" ] || [ -n "$(find include benchmarks/bench_models.hpp tests/valgrind -newer "$bin" -print -quit)" ]; then
  echo "valgrind.sh: building $bin"
  ${CXX:-g++} -std=c++20 -O1 -g -fopenmp -I"$root/include" -I/usr/include/eigen3 -I/usr/include/stb \
    -DEIGEN_DONT_PARALLELIZE -DAE_HAVE_ZLIB=1 -DAE_HAVE_STB=1 tests/valgrind/short_training.cpp -lz -o "$bin"
fi

failed=0
for m in "${models[@]}"; do
  log=$build/memcheck_$m.log
  start=$(date +%s)
  set +e
  OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} valgrind --tool=memcheck --leak-check=full --error-exitcode=99 \
    --errors-for-leak-kinds=definite,indirect \
    --log-file="$log" "$bin" "$m" "$build/tmp" >"$build/out_$m.txt" 2>&1
  rc=$?
  set -e
  errors=$(grep -h "ERROR SUMMARY" "$log" | sed 's/^==[0-9]*== //')
  lost=$(grep -h "definitely lost:" "$log" | sed 's/^==[0-9]*== *//')
  [ -n "$lost" ] || lost="definitely lost: 0 bytes in 0 blocks (no leak reported)"
  printf '%-10s %4ss  %s | %s\n' "$m" "$(( $(date +%s) - start ))" "$errors" "$lost"
  if [ "$rc" -ne 0 ] || ! grep -q "ERROR SUMMARY: 0 errors" "$log" || grep -q "definitely lost: [1-9]" "$log"; then
    failed=1
    echo "valgrind.sh: $m failed (exit $rc); see $log" >&2
    cat "$build/out_$m.txt" >&2
  fi
done
exit $failed
