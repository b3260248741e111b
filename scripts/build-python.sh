#!/usr/bin/env bash
# Builds the `hookverify` wheel (abi3, CPython >= 3.10) into target/wheels/ with maturin from the build venv.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps-python.sh
rm -f target/wheels/hookverify-*.whl
(cd packages/python && ../../.venv-build/bin/maturin build --release --quiet \
  --interpreter ../../.venv-build/bin/python \
  --out ../../target/wheels)
ls target/wheels/hookverify-*.whl
