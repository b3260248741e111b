#!/usr/bin/env bash
# Python benchmark: hookverify vs stdlib hmac by hand, standardwebhooks, svix and stripe, side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/deps-python.sh
ls target/wheels/hookverify-*.whl >/dev/null 2>&1 || scripts/build-python.sh
venv=$root/target/py-test-venv
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/hookverify-*.whl
cd "$(mktemp -d)"
"$venv/bin/python" "$root/tests/python/bench_verify.py" 2>/dev/null
