#!/usr/bin/env bash
# Python tools: the build venv (.venv-build: maturin) and the test venv (target/py-test-venv:
# pytest, mypy, ruff and the peer libraries the interop tests and benchmark compare with). Each is
# installed with --require-hashes from a lock that pins every package, dependencies included
# (packages/python/build-requirements.lock, tests/python/requirements.lock; scripts/lock-python.sh
# makes them from HV_MATURIN_VERSION and tests/python/requirements.txt). Detection: scripts/lib/tools.sh.
set -euo pipefail
source "$(dirname "$0")/lib/tools.sh"
pip=(-m pip install -q --disable-pip-version-check --require-hashes)

# new_venv DIR: (re)creates DIR unless its python runs.
new_venv() {
  hv_runs "$1/bin/python" -c '' || hv_run "$PYTHON" -m venv --clear "$1"
}

if hv_py_lock_stale; then
  if [ "${HV_DEPS_MODE:-install}" = check ]; then
    echo "missing: python-locks ($HV_NOTE)"
  else
    hv_cannot_install python-locks
  fi
fi

if hv_need maturin; then
  if [ "$MATURIN" != "$HV_BUILD_VENV/bin/maturin" ]; then
    HV_NOTE="MATURIN=$MATURIN is set; unset it to let make deps install maturin into $(hv_rel "$HV_BUILD_VENV")"
    hv_cannot_install maturin
  else
    new_venv "$HV_BUILD_VENV"
    hv_run "$HV_BUILD_VENV/bin/python" "${pip[@]}" -r "$HV_BUILD_LOCK"
    hv_installed maturin
  fi
fi

# zig and auditwheel (make package) come from the same build lock as maturin.
build_tools=()
for tool in zig auditwheel; do
  if hv_need "$tool"; then build_tools+=("$tool"); fi
done
if [ ${#build_tools[@]} -gt 0 ]; then
  new_venv "$HV_BUILD_VENV"
  hv_run "$HV_BUILD_VENV/bin/python" "${pip[@]}" -r "$HV_BUILD_LOCK"
  for tool in "${build_tools[@]}"; do hv_installed "$tool"; done
fi

if hv_need py-test-venv; then
  new_venv "$HV_TEST_VENV"
  hv_run "$HV_TEST_VENV/bin/python" "${pip[@]}" -r "$HV_PY_LOCK"
  if [ -z "${DEPS_DRY_RUN:-}" ]; then
    hv_lock_sum "$(hv_rel "$HV_PY_LOCK")" > "$HV_TEST_VENV/.requirements.sha256"
  fi
  hv_installed py-test-venv
fi
