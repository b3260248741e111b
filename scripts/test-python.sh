#!/usr/bin/env bash
# Python suite against the BUILT wheel installed in target/py-test-venv (outside packages/python).
# Rebuilds the wheel when it is missing or older than its sources, and builds the release CLI
# (test_diagnose.py compares reports with `hookverify diagnose --json`). pytest prints its own summary.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/deps-python.sh
wheel=$(ls target/wheels/hookverify-*.whl 2>/dev/null | head -n1 || true)
if [ -z "$wheel" ] || [ -n "$(find core/src core/presets core/Cargo.toml bindings/python packages/python -newer "$wheel" -type f -print -quit)" ]; then
  scripts/build-python.sh
fi
cargo build --locked --release --quiet -p hookverify-cli
venv=$root/target/py-test-venv
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/hookverify-*.whl
# Run from a scratch directory so `import hookverify` can only find the installed wheel.
run_dir=$(mktemp -d)
trap 'rm -rf "$run_dir"' EXIT
cd "$run_dir"
"$venv/bin/python" -c 'import hookverify, sys; assert "site-packages" in hookverify.__file__, hookverify.__file__'
"$venv/bin/python" -m mypy.stubtest hookverify
"$venv/bin/python" -m pytest "$root/tests/python" -q -p no:cacheprovider --rootdir "$root/tests/python" "$@"
