#!/usr/bin/env bash
# Build every libFuzzer target in fuzz/ (clang++-14, ASan + UBSan) and run each one for a bounded
# time from the seed corpus that fuzz/make_seeds.hpp generates. The targets are fuzz/fuzz_<target>.hpp,
# all run by one program, fuzz/ae_fuzz.cpp.
#   scripts/fuzz.sh [seconds_per_target] [target...]      (default: 60 s, every target)
#   scripts/fuzz.sh --build                               (only build the program)
# Environment: AE_FUZZ_BUILD (build folder, default build/fuzz), AE_FUZZ_JOBS (parallel fuzzing
# processes per target, default 1), AE_FUZZ_MALLOC_MB (largest single allocation allowed, 512).
# Prints one line per target: seconds, executions, corpus size and crashes. Any crash, sanitizer
# report, leak, timeout, uncaught non-ae exception or allocation above the limit is a crash; its
# input is saved under $AE_FUZZ_BUILD/crashes/ and the script exits 1.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
root=$(pwd)

build_only=0
if [ "${1:-}" = "--build" ]; then build_only=1; shift; fi
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(idx model_file csv image checkpoint safetensors)

build=${AE_FUZZ_BUILD:-$root/build/fuzz}
jobs=${AE_FUZZ_JOBS:-1}
malloc_mb=${AE_FUZZ_MALLOC_MB:-512}
cxx=${AE_FUZZ_CXX:-clang++-14}

command -v "$cxx" >/dev/null || scripts/install_deps.sh clang-14 libclang-rt-14-dev
mkdir -p "$build/bin" "$build/crashes"

common=(-std=c++20 -gline-tables-only -I"$root/include" -I/usr/include/eigen3 -I/usr/include/stb
        -DEIGEN_DONT_PARALLELIZE -DAE_HAVE_ZLIB=1 -DAE_HAVE_STB=1)
# Every target and the seed writer are one program, fuzz/ae_fuzz.cpp (compiled once: the targets
# share most of the library's model code). It links libFuzzer without its main and calls
# LLVMFuzzerRunDriver itself; AE_FUZZ_TARGET picks the target. Rebuilt only when a header or fuzz
# source is newer than it (it takes minutes to compile).
bin=$build/bin/ae_fuzz
fuzzer_lib=$("$cxx" -print-runtime-dir)/libclang_rt.fuzzer_no_main-$(uname -m).a
if [ ! -x "$bin" ] || [ -n "$(find "$root/include" "$root/fuzz" -newer "$bin" -print -quit)" ]; then
  echo "fuzz.sh: building $bin"
  "$cxx" "${common[@]}" -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
    -fno-sanitize-recover=all fuzz/ae_fuzz.cpp "$fuzzer_lib" -lz -o "$bin"
fi
[ "$build_only" -eq 0 ] || exit 0
rm -rf "$build/seeds"
"$bin" --make-seeds "$build/seeds"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TMPDIR=$build/tmp
mkdir -p "$TMPDIR"

failed=0
summary=()
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  mkdir -p "$corpus"
  log=$build/fuzz_$t.log
  before=$(find "$build/crashes" -name "$t-*" | wc -l)
  start=$(date +%s)
  set +e
  # The first folder (the working corpus) collects new inputs; the seeds are only read.
  parallel=()
  [ "$jobs" -le 1 ] || parallel=(-jobs="$jobs" -workers="$jobs")
  (cd "$build" && AE_FUZZ_TARGET=$t "$bin" "$corpus" "$build/seeds/$t" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb="$malloc_mb" -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$t-" "${parallel[@]}" >"$log" 2>&1)
  rc=$?
  set -e
  elapsed=$(( $(date +%s) - start ))
  logs=("$log" "$build"/fuzz-*.log)  # with -jobs, each worker writes its own fuzz-N.log
  execs=$(awk '/stat::number_of_executed_units/ {s += $2} END {print s + 0}' "${logs[@]}")
  crashes=$(( $(find "$build/crashes" -name "$t-*" | wc -l) - before ))
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi  # a failure that saved no input
  line=$(printf "%-12s %5ss  %10s executions  %6s corpus files  %s crash(es)" "fuzz_$t" "$elapsed" "$execs" \
    "$(find "$corpus" -type f | wc -l)" "$crashes")
  summary+=("$line")
  echo "$line"
  if [ "$crashes" -ne 0 ]; then
    failed=1
    echo "fuzz.sh: fuzz_$t failed (exit $rc); log: $log" >&2
    grep -m1 -A12 "ERROR\|runtime error\|uncaught\|terminate called\|malloc(" "$log" >&2 || tail -20 "$log" >&2
  fi
  rm -f "$build"/fuzz-*.log
done

echo "fuzz.sh: summary (${seconds} s per target)"
printf '%s\n' "${summary[@]}"
exit $failed
