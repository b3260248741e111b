#!/usr/bin/env bash
# make deps: installs what the build and the tests need, only what is missing (safe to run again).
# make deps-check (scripts/deps.sh --check): lists every missing tool, installs nothing, exits 0.
# Both run the same scripts/deps-*.sh with the same probes (scripts/lib/tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  "") export HV_DEPS_MODE=install ;;
  --check) export HV_DEPS_MODE=check ;;
  *) echo "usage: scripts/deps.sh [--check]" >&2; exit 2 ;;
esac
missing=()
for s in scripts/deps-*.sh; do
  [ -x "$s" ] || continue
  if [ "$HV_DEPS_MODE" = install ]; then "$s"; continue; fi
  if ! out=$("$s"); then
    printf '%s\n' "$out"
    echo "deps-check: $s failed while probing" >&2
    exit 1
  fi
  [ -z "$out" ] || printf '%s\n' "$out"
  while IFS= read -r line; do
    if [[ $line == "missing: "* ]]; then line=${line#missing: }; missing+=("${line%% *}"); fi
  done <<<"$out"
done
if [ "$HV_DEPS_MODE" = check ]; then
  if [ ${#missing[@]} -eq 0 ]; then echo "deps-check: nothing missing"
  else echo "deps-check: ${#missing[@]} missing: ${missing[*]} (make deps installs them)"; fi
fi
