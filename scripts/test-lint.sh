#!/usr/bin/env bash
# Lint and format checks, nothing rewritten:
#   biome check (lint + format) of packages/npm, tests/node and examples/node-express (biome.jsonc);
#   ruff check and ruff format --check of packages/python and tests/python (ruff.toml);
#   cargo fmt --check of the workspace and of the fuzz/ and ct/ crates (rustfmt.toml).
# To fix what the format checks report: `cargo fmt --all` (and in fuzz/, ct/),
# `tests/node/node_modules/.bin/biome format --write` and
# `target/py-test-venv/bin/ruff check --fix packages/python tests/python &&
#  target/py-test-venv/bin/ruff format packages/python tests/python`.
# Prints 'lint: N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
scripts/deps-node.sh || exit 1
scripts/deps-python.sh || exit 1
ruff=$HV_TEST_VENV/bin/ruff
py=(packages/python tests/python)
passed=0 failed=0
step() { # label, command...
  local label=$1; shift
  echo "== $label"
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $label"; failed=$((failed + 1)); fi
}
step "cargo fmt --check (workspace)" cargo fmt --all --check
step "cargo fmt --check (fuzz)" cargo fmt --manifest-path fuzz/Cargo.toml --check
step "cargo fmt --check (ct)" cargo fmt --manifest-path ct/Cargo.toml --check
step "biome check (lint + format)" "$BIOME" check --reporter=concise --max-diagnostics=100
step "ruff check" "$ruff" check --output-format concise "${py[@]}"
step "ruff format --check" "$ruff" format --check --output-format concise "${py[@]}"
echo "lint: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
