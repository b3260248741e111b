#!/usr/bin/env bash
# Installs what the build and tests need, only when missing. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."
for s in scripts/deps-*.sh; do
  [ -x "$s" ] && "$s"
done
true
