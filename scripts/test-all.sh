#!/usr/bin/env bash
# Runs every suite; each runner prints its own summary. Exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()
for suite in scripts/test-*.sh; do
  [ "$suite" = scripts/test-all.sh ] && continue
  echo "==================== $suite"
  if ! "$suite"; then failed+=("$suite"); fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED suites: ${failed[*]}"
  exit 1
fi
echo "all suites passed"
