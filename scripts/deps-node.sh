#!/usr/bin/env bash
# npm dependencies of packages/npm (build tools: @napi-rs/cli, binaryen's wasm-opt) and tests/node
# (peers, test tools, biome), installed with `npm ci` from the committed locks: exactly the recorded
# versions, and the locks are never rewritten. Node and npm come from scripts/deps-apt.sh; the wasm
# target and wasm-bindgen-cli from scripts/deps-rust.sh. Detection: scripts/lib/tools.sh.
set -euo pipefail
source "$(dirname "$0")/lib/tools.sh"
for dir in "${HV_NPM_DIRS[@]}"; do
  need=()
  for tool in ${HV_NPM_TOOLS[$dir]}; do
    if hv_need "$tool"; then need+=("$tool"); fi
  done
  [ ${#need[@]} -gt 0 ] || continue
  if [ -z "${DEPS_DRY_RUN:-}" ] && ! tool_npm; then
    echo "deps-node: npm is missing (scripts/deps-apt.sh installs it)" >&2
    exit 1
  fi
  # The lock records every platform's optional packages (@napi-rs/cli's lzma/tar/wasm-tools
  # binaries, biome's CLI); npm ci installs this platform's. After a change to a package.json,
  # refresh the lock with `npm install --package-lock-only` in that directory and commit it.
  hv_run npm ci --prefix "$HV_ROOT/$dir" --no-audit --no-fund --loglevel=error
  if [ -z "${DEPS_DRY_RUN:-}" ]; then
    hv_lock_sum "$dir/package-lock.json" > "$HV_ROOT/$dir/node_modules/.hookverify-lock.sha256"
  fi
  for tool in ${HV_NPM_TOOLS[$dir]}; do hv_installed "$tool"; done
done
