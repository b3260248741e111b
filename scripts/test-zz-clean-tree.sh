#!/usr/bin/env bash
# Runs last (test-all.sh runs scripts/test-*.sh in name order): the deps, build and test steps of
# `make test` must leave the working tree as they found it: no tracked file rewritten (the npm locks:
# `npm ci`; Cargo.lock: `--locked`), no generated file outside .gitignore. `make test` records the
# tree before it starts (HV_TREE_BEFORE); run alone, this compares with HEAD. Prints 'clean-tree: N
# passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/.."
if scripts/tree-state.sh check; then
  echo "clean-tree: 1 passed, 0 failed"
else
  echo "clean-tree: 0 passed, 1 failed"
  exit 1
fi
