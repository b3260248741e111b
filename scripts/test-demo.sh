#!/usr/bin/env bash
# `make demo` end to end: it must exit 0 (every scheme signed, verified, tampered and replayed, then
# the `hookverify listen` round) and leave no temporary directory behind. Its mktemp calls land in a
# fresh TMPDIR, which must be empty afterwards. make runs as a fresh make (the flags of an outer
# one, -n included, are dropped). Prints 'demo: N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0 failed=0
check() { # label, then a command that succeeds when the check holds
  local label=$1; shift
  if "$@"; then echo "ok: $label"; passed=$((passed + 1)); return 0; fi
  echo "FAIL: $label"; failed=$((failed + 1)); return 1
}
tmp=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$tmp" "$log"' EXIT
TMPDIR=$tmp env -u MAKEFLAGS -u MFLAGS make -s --no-print-directory demo >"$log" 2>&1
rc=$?
check "make demo exits 0 (exit $rc)" [ "$rc" -eq 0 ] || sed 's/^/  | /' "$log" | tail -n 30
check "make demo leaves no temp directory behind" [ -z "$(ls -A "$tmp")" ] || ls -la "$tmp"
# The listen round is the last part: reaching its event listing means the demo ran to the end.
check "the listen round ran to its end" grep -q 'events printed by the receiver' "$log"
check "the listen round accepted the valid delivery" grep -Eq '^ *valid +-> 2[0-9][0-9] ' "$log"
echo "demo: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
