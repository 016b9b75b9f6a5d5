#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer (the `sanitize` preset:
# clang++-14, -O1, line tables for the reports, every report fatal, leaks checked). Exits non-zero on any failure or
# sanitizer report. clang rather than g++: it compiles the instrumented suite much faster (one of
# the two unity batches: 620 s against more than 1,000 s), and the release build covers g++.
# Left out, to keep CI within its time: the consumer tests (they build small projects with the
# plain compiler to test packaging) and the docs programs (one more large program to compile
# under ASan, whose code paths the unit tests cover); both run in scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install_deps.sh clang-14 libclang-rt-14-dev libomp-14-dev
cmake --preset sanitize
cmake --build --preset sanitize --target ae_tests
ctest --preset sanitize -LE "consumer|docs"
