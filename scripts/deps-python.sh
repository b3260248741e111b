#!/usr/bin/env bash
# Python tools: the build venv (.venv-build, maturin from PyPI) and the test venv
# (target/py-test-venv: pytest, mypy, ruff and the peer libraries the interop tests and benchmark
# compare with, all pinned in tests/python/requirements.txt). Detection: scripts/lib/tools.sh.
set -euo pipefail
source "$(dirname "$0")/lib/tools.sh"
pip=(-m pip install -q --disable-pip-version-check)

# new_venv DIR: (re)creates DIR unless its python runs.
new_venv() {
  hv_runs "$1/bin/python" -c '' || hv_run "$PYTHON" -m venv --clear "$1"
}

if hv_need maturin; then
  if [ "$MATURIN" != "$HV_BUILD_VENV/bin/maturin" ]; then
    HV_NOTE="MATURIN=$MATURIN is set; unset it to let make deps install maturin into $HV_BUILD_VENV"
    hv_cannot_install maturin
  else
    new_venv "$HV_BUILD_VENV"
    hv_run "$HV_BUILD_VENV/bin/python" "${pip[@]}" "maturin==$HV_MATURIN_VERSION"
    hv_installed maturin
  fi
fi

if hv_need py-test-venv; then
  new_venv "$HV_TEST_VENV"
  hv_run "$HV_TEST_VENV/bin/python" "${pip[@]}" -r "$HV_PY_REQUIREMENTS"
  if [ -z "${DEPS_DRY_RUN:-}" ]; then
    hv_lock_sum "${HV_PY_REQUIREMENTS#"$HV_ROOT"/}" > "$HV_TEST_VENV/.requirements.sha256"
  fi
  hv_installed py-test-venv
fi
