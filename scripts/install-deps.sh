#!/usr/bin/env bash
# Installs, with apt-get, whatever LauraDB needs to build and test that this
# Debian 12 machine does not have yet. Safe to run again: it installs only
# missing packages. Uses sudo when not run as root.
#   --peers   also the engines the benchmarks compare against (bench/)
set -euo pipefail

PACKAGES=(
  g++ make cmake pkg-config       # toolchain
  libabsl-dev libxxhash-dev       # Abseil, xxHash
  libgtest-dev libgmock-dev       # GoogleTest
  libbenchmark-dev                # Google Benchmark
  libedit-dev                     # the shell's line editing (tools/line_editor.cc)
  clang libclang-rt-14-dev        # libFuzzer targets and sanitizers
  python3 python3-pytest          # the Python package's tests (python/)
)
if [ "${1:-}" = "--peers" ]; then
  PACKAGES+=(liblmdb-dev librocksdb-dev libleveldb-dev libsqlite3-dev libwiredtiger-dev)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
