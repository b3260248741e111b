#!/usr/bin/env bash
# Python tools, only when missing: the build venv (.venv-build, maturin from PyPI) and the test venv
# (target/py-test-venv: pytest, mypy and the peer libraries the interop tests and benchmark compare with).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
MATURIN_VERSION=1.9.6

build_venv=.venv-build
if ! "$build_venv/bin/maturin" --version 2>/dev/null | grep -q " $MATURIN_VERSION\$"; then
  echo "deps-python: $build_venv with maturin $MATURIN_VERSION"
  [ -x "$build_venv/bin/python" ] || "$PY" -m venv "$build_venv"
  "$build_venv/bin/python" -m pip install -q --disable-pip-version-check "maturin==$MATURIN_VERSION"
fi

test_venv=target/py-test-venv
reqs=tests/python/requirements.txt
stamp="$test_venv/.requirements.sha256"
want=$(sha256sum "$reqs" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "deps-python: $test_venv with $reqs"
  [ -x "$test_venv/bin/python" ] || "$PY" -m venv "$test_venv"
  "$test_venv/bin/python" -m pip install -q --disable-pip-version-check -r "$reqs"
  echo "$want" > "$stamp"
fi
