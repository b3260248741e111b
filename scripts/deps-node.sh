#!/usr/bin/env bash
# npm dependencies (build tools of packages/npm, peers and test tools of tests/node), only when missing.
# Chromium comes from scripts/deps-apt.sh; the wasm target and wasm-bindgen-cli from scripts/deps-rust.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in packages/npm tests/node; do
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
