#!/usr/bin/env bash
# ae vs PyTorch, same models, data, batch size, optimizer and thread count, in one run.
# Usage: benchmarks/run.sh [threads]   (needs data/mnist: data/fetch_mnist.sh; python3-torch)
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-2}"

cmake --preset release -DAE_BUILD_BENCHMARKS=ON >/dev/null
cmake --build --preset release --target dense_bench >/dev/null

printf '| model | ae s/epoch | PyTorch s/epoch | ae/PyTorch |\n|---|---|---|---|\n'
for model in vanilla; do
  ae=$(build/release/benchmarks/dense_bench "$model" --threads "$threads" | awk '/median_seconds_per_epoch/ {print $2}')
  pt=$(OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 benchmarks/torch_models.py "$model" --threads "$threads" |
       awk '/median_seconds_per_epoch/ {print $2}')
  printf '| %s | %.3f | %.3f | %.2f |\n' "$model" "$ae" "$pt" "$(awk -v a="$ae" -v b="$pt" 'BEGIN { print a / b }')"
done
