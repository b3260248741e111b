#!/usr/bin/env bash
# Runs every suite (scripts/test-*.sh, in name order: test-zz-clean-tree.sh last); each runner prints
# its own summary, and this one closes with 'suites: N passed, N failed'. Exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()
passed=0
for suite in scripts/test-*.sh; do
  [ "$suite" = scripts/test-all.sh ] && continue
  echo "==================== $suite"
  if "$suite"; then passed=$((passed + 1)); else failed+=("$suite"); fi
done
[ ${#failed[@]} -eq 0 ] || echo "FAILED suites: ${failed[*]}"
echo "suites: $passed passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
