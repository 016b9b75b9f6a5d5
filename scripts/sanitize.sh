#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer (the `sanitize` preset:
# -O1 -g, every report fatal, leaks checked). Exits non-zero on any failure or sanitizer report.
# The consumer tests are left out: they build small projects with the plain compiler to test
# packaging, which scripts/test.sh already covers, and would add minutes without checking memory.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install_deps.sh
cmake --preset sanitize
cmake --build --preset sanitize --target ae_test_programs
ctest --preset sanitize -LE consumer
