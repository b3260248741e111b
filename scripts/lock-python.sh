#!/usr/bin/env bash
# Regenerates the hashed Python locks that scripts/deps-python.sh installs with --require-hashes:
#   tests/python/requirements.lock       from tests/python/requirements.txt (the test venv)
#   packages/python/build-requirements.lock  HV_BUILD_PINS: maturin, ziglang, auditwheel (the build venv)
# Run it after changing either, and commit the locks with the change. uv (pinned, from PyPI, in a
# scratch venv) resolves for every platform, so the locks are the same on every machine.
set -euo pipefail
source "$(dirname "$0")/lib/tools.sh"
cd "$HV_ROOT"
UV_VERSION=0.13.8
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
"$PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
compile=("$venv/bin/uv" pip compile --quiet --universal --generate-hashes
  --custom-compile-command scripts/lock-python.sh)
# The test venv needs Python 3.11+ (fastapi's floor); the wheel builds with 3.10+.
"${compile[@]}" --python-version 3.11 -o "${HV_PY_LOCK#"$HV_ROOT"/}" "${HV_PY_REQUIREMENTS#"$HV_ROOT"/}"
printf '%s\n' "${HV_BUILD_PINS[@]}" | "${compile[@]}" --python-version 3.10 -o "${HV_BUILD_LOCK#"$HV_ROOT"/}" -
echo "lock-python: wrote ${HV_PY_LOCK#"$HV_ROOT"/} and ${HV_BUILD_LOCK#"$HV_ROOT"/}"
