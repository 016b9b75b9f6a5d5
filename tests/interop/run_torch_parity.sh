#!/usr/bin/env bash
# ctest driver of the PyTorch parity test (tests/torch_parity_test.cpp):
#   run_torch_parity.sh <python> <torch_reference.py> <work dir> <ae_tests>
# Exits 77, which ctest reports as "skipped" (SKIP_RETURN_CODE), when <python> cannot import
# torch and numpy (Debian: apt-get install python3-torch); otherwise writes the PyTorch
# references into <work dir> and runs the hidden Catch2 test on them.
set -euo pipefail
if [ $# -ne 4 ]; then
    echo "usage: $0 <python> <torch_reference.py> <work dir> <ae_tests>" >&2
    exit 2
fi
python=$1 script=$2 work=$3 tests=$4
if ! "$python" -c "import torch, numpy" >/dev/null 2>&1; then
    echo "SKIPPED: '$python' cannot import torch and numpy (install Debian's python3-torch)"
    exit 77
fi
rm -rf "$work"
mkdir -p "$work"
OMP_NUM_THREADS=1 "$python" "$script" "$work"
AE_TORCH_REFERENCE_DIR="$work" OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} "$tests" "[torch-parity]"
