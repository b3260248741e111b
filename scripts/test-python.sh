#!/usr/bin/env bash
# Python suite against the BUILT wheel installed in target/py-test-venv (outside packages/python).
# Builds the wheel first when target/wheels has none. pytest prints its own summary.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/deps-python.sh
ls target/wheels/hookverify-*.whl >/dev/null 2>&1 || scripts/build-python.sh
venv=$root/target/py-test-venv
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/hookverify-*.whl
# Run from a scratch directory so `import hookverify` can only find the installed wheel.
run_dir=$(mktemp -d)
trap 'rm -rf "$run_dir"' EXIT
cd "$run_dir"
"$venv/bin/python" -c 'import hookverify, sys; assert "site-packages" in hookverify.__file__, hookverify.__file__'
"$venv/bin/python" -m mypy.stubtest hookverify
"$venv/bin/python" -m pytest "$root/tests/python" -q -p no:cacheprovider --rootdir "$root/tests/python" "$@"
