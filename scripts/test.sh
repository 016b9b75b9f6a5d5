#!/usr/bin/env bash
# The README's test line: install what is missing, build the release preset, run every test
# through ctest. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install_deps.sh dataset-fashion-mnist python3-torch python3-numpy
cmake --preset release -DAE_BUILD_TESTS=ON -DAE_BUILD_BENCHMARKS=OFF  # ON: quickstart.sh caches it OFF
# Only what ctest runs (tests, the kill-and-resume child, the docs snippets): the examples are
# compiled by `cmake --build --preset release` and the quickstart, and would double this line's time.
cmake --build --preset release --target ae_test_programs

# ctest must see every Catch2 test case: a '[', ']' or ';' in a test name breaks CMake's list
# handling and silently merges all later tests into one, so compare the two counts.
# (Catch2 exits with the number of tests it listed, hence the || true.)
cases=$( (build/release/tests/ae_tests --list-test-names-only || true) | grep -c .)
registered=$(ctest --preset release -N | grep -c "Test *#")
if [ "$registered" -lt "$cases" ]; then
  echo "test.sh: ctest registered $registered tests but ae_tests has $cases test cases (a test name with [ ] or ;?)" >&2
  exit 1
fi
ctest --preset release
