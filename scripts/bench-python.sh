#!/usr/bin/env bash
# Python benchmark: hookverify vs stdlib hmac by hand, standardwebhooks, svix and stripe, side by side
# (interleaved). Markdown on stdout (and target/bench-python.md), JSON in target/bench/python.json.
# `--quick` or BENCH_QUICK=1 for a short run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/deps-python.sh
ls target/wheels/hookverify-*.whl >/dev/null 2>&1 || scripts/build-python.sh
venv=$root/target/py-test-venv
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/hookverify-*.whl
mkdir -p target/bench
cd "$(mktemp -d)"  # import the installed wheel, not the source tree
"$venv/bin/python" "$root/tests/python/bench_verify.py" "$@" --json "$root/target/bench/python.json" | tee "$root/target/bench-python.md"
