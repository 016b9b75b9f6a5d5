#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer (the `sanitize` preset:
# -O1 -g, every report fatal, leaks checked). Exits non-zero on any failure or sanitizer report.
# Left out, to keep CI within its time: the consumer tests (they build small projects with the
# plain compiler to test packaging) and the docs programs (ten small programs quoted by the docs,
# each a minute to compile under ASan, whose code paths the unit tests cover); both run in
# scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install_deps.sh
cmake --preset sanitize
cmake --build --preset sanitize --target ae_tests kill_resume_child
ctest --preset sanitize -LE "consumer|docs"
