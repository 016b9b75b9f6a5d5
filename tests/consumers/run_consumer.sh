#!/usr/bin/env bash
# Build and run one consumer project (see README.md here).
#   run_consumer.sh <kind> <ae source dir> <work dir> <c++ compiler> <cmake> [pkg-config]
# kind: find_package | add_subdirectory | fetch_content | pkg_config | odr.
# Everything is written under <work dir>, which is emptied first; builds use one job.
set -euo pipefail
if [ $# -lt 5 ]; then
    echo "usage: $0 <kind> <ae source dir> <work dir> <c++ compiler> <cmake> [pkg-config]" >&2
    exit 2
fi
kind=$1 src=$2 work=$3 cxx=$4 cmake=$5 pkg_config=${6:-pkg-config}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
cd "$work"

# ae configured on its own (no tests, examples or benchmarks) and installed into $work/prefix.
install_ae() {
    "$cmake" -S "$src" -B "$work/ae-build" -DCMAKE_CXX_COMPILER="$cxx" \
        -DAE_BUILD_TESTS=OFF -DAE_BUILD_EXAMPLES=OFF -DAE_BUILD_BENCHMARKS=OFF >"$work/ae-configure.log"
    "$cmake" --install "$work/ae-build" --prefix "$work/prefix" >"$work/ae-install.log"
}

# The programs compile at -O1: g++ compiles ae's templates faster at -O1 than at -O0 (which
# emits every Eigen helper uninlined), and these builds are most of the consumer tests' time.
opt=-O1

# Configure, build (one job) and run the CMake project tests/consumers/<dir>.
run_cmake_project() {
    local dir=$1
    shift
    "$cmake" -S "$here/$dir" -B "$work/app-build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$opt" "$@"
    "$cmake" --build "$work/app-build" -j1
    "$work/app-build/app"
}

case $kind in
    find_package)
        install_ae
        # Only the scratch prefix: the test must not pick up another ae from the system.
        run_cmake_project find_package -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
        ;;
    add_subdirectory | odr)
        run_cmake_project "$kind" -DAE_SOURCE_DIR="$src"
        ;;
    fetch_content)
        run_cmake_project fetch_content -DAE_SOURCE_DIR="$src" -DFETCHCONTENT_FULLY_DISCONNECTED=ON
        ;;
    pkg_config)
        install_ae
        export PKG_CONFIG_PATH="$work/prefix/share/pkgconfig"
        flags=$("$pkg_config" --cflags --libs ae)
        echo "pkg-config --cflags --libs ae: $flags"
        # shellcheck disable=SC2086  # the flags are a list of words
        "$cxx" -std=c++20 $opt "$here/pkg_config/main.cpp" $flags -o "$work/app"
        "$work/app"
        ;;
    *)
        echo "unknown consumer kind '$kind', expected find_package, add_subdirectory, fetch_content, pkg_config or odr" >&2
        exit 2
        ;;
esac
