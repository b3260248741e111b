#!/usr/bin/env bash
# Builds the `hookverify` wheel (abi3, CPython >= 3.10) into target/wheels/ with maturin from the build venv.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh # MATURIN, HV_BUILD_VENV: the same paths deps-check probes
scripts/deps-python.sh
rm -f target/wheels/hookverify-*.whl
# --locked: the workspace's Cargo.lock as committed (cargo fails instead of updating it).
(cd packages/python && "$MATURIN" build --release --quiet --locked \
  --interpreter "$HV_BUILD_VENV/bin/python" \
  --out ../../target/wheels)
ls target/wheels/hookverify-*.whl
