#!/usr/bin/env bash
# ThreadSanitizer run of the concurrency tests (tests/concurrency_test.cpp: predict and evaluate
# on one model from 4 std::threads). Built without OpenMP: TSan cannot see libgomp's own
# synchronisation (libgomp is not TSan-instrumented), so every OpenMP region would be reported
# as a race. The std::thread code under test is what TSan checks here.
#   scripts/tsan.sh            builds in $AE_TSAN_BUILD (default build/tsan) and runs the tests
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${AE_TSAN_BUILD:-$root/build/tsan}
cxx=${AE_TSAN_CXX:-clang++-14}
command -v "$cxx" >/dev/null || scripts/install_deps.sh clang-14 libclang-rt-14-dev
mkdir -p "$build/tmp"

flags=(-std=c++20 -O1 -g -fsanitize=thread -I"$root/include" -I"$root/tests" -I/usr/include/eigen3
       -I/usr/include/stb -DEIGEN_DONT_PARALLELIZE -DAE_HAVE_ZLIB=1 -DAE_HAVE_STB=1
       -DAE_TEST_TMP="\"$build/tmp\"")
[ -f "$build/main.o" ] || "$cxx" "${flags[@]}" -c tests/main.cpp -o "$build/main.o"
"$cxx" "${flags[@]}" tests/concurrency_test.cpp "$build/main.o" -lz -o "$build/concurrency_tsan"

# halt_on_error: the first race fails the run; exitcode 66 marks a TSan report.
TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} "$build/concurrency_tsan" "[concurrency]"
