#!/usr/bin/env bash
# What `make package` and scripts/test-package.sh need beyond the build venv, only when missing:
# zig (ziglang from PyPI: links the published wheel and native addon against glibc 2.17) and
# auditwheel (checks the wheel's manylinux tag) in .venv-build; the bundlers the packaged npm
# tarball is tested with (Next.js, esbuild: tests/package, from its lock with `npm ci`).
set -euo pipefail
cd "$(dirname "$0")/.."
ZIGLANG_VERSION=0.13.0
AUDITWHEEL_VERSION=6.8.2

venv=.venv-build
[ -x "$venv/bin/maturin" ] || scripts/deps-python.sh
have() { [ "$("$venv/bin/python" -m pip show "$1" 2>/dev/null | sed -n "s/^Version: //p")" = "$2" ]; }
if ! have ziglang "$ZIGLANG_VERSION" || ! have auditwheel "$AUDITWHEEL_VERSION"; then
  echo "deps-package: ziglang $ZIGLANG_VERSION, auditwheel $AUDITWHEEL_VERSION in $venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "ziglang==$ZIGLANG_VERSION" "auditwheel==$AUDITWHEEL_VERSION"
fi

dir=tests/package
if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
  echo "deps-package: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
