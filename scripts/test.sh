#!/usr/bin/env bash
# The README's test line: install what is missing, build the release preset, run every test
# through ctest. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install_deps.sh dataset-fashion-mnist
cmake --preset release -DAE_BUILD_BENCHMARKS=OFF
cmake --build --preset release
ctest --preset release
