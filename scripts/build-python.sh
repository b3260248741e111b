#!/usr/bin/env bash
# Builds the `hookverify` wheel (abi3, CPython >= 3.10) with maturin from the build venv.
#
#   scripts/build-python.sh               the in-tree TEST wheel, into target/wheels/: with the
#                                         deliberate-panic switch of the panic-safety tests (cargo
#                                         feature `test-hooks`); what scripts/test-python.sh installs.
#   scripts/build-python.sh --release DIR  the PUBLISHED wheel (scripts/package.sh, `make package`)
#                                         into DIR: no test hooks, linked by zig (ziglang from PyPI,
#                                         scripts/deps-python.sh) against glibc 2.17, so it is tagged
#                                         manylinux_2_17 (manylinux2014) and installs on older servers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh # MATURIN, HV_BUILD_VENV: the same paths deps-check probes
root=$PWD
scripts/deps-python.sh
if [ "${1:-}" = --release ]; then
  out=$(cd "${2:?usage: build-python.sh [--release DIR]}" && pwd)
  export PATH="$HV_BUILD_VENV/bin:$PATH" # maturin finds zig as `python3 -m ziglang`
  rm -f "$out"/hookverify-*.whl
  (cd packages/python && "$MATURIN" build --release --quiet --locked \
    --zig --compatibility manylinux2014 --target x86_64-unknown-linux-gnu \
    --interpreter "$HV_BUILD_VENV/bin/python" --out "$out")
  ls "$out"/hookverify-*.whl
  exit 0
fi
rm -f target/wheels/hookverify-*.whl
# --locked: the workspace's Cargo.lock as committed (cargo fails instead of updating it).
# maturin's --features replaces pyproject.toml's list (extension-module), so both are named.
(cd packages/python && "$MATURIN" build --release --quiet --locked --features extension-module,test-hooks \
  --interpreter "$HV_BUILD_VENV/bin/python" \
  --out "$root/target/wheels")
ls target/wheels/hookverify-*.whl
