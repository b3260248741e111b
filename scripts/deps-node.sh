#!/usr/bin/env bash
# npm dependencies (build tools of packages/npm, peers and test tools of tests/node), only when missing.
# Chromium comes from scripts/deps-apt.sh; the wasm target and wasm-bindgen-cli from scripts/deps-rust.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in packages/npm tests/node; do
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "deps: npm install in $dir"
    # Not `npm ci`: npm 11 rejects locks whose optional per-platform packages (@napi-rs/cli's
    # lzma/tar/wasm-tools binaries) were not all recorded, even a freshly generated one.
    # `npm install` follows the lock and adds this platform's optional packages.
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
  fi
done
