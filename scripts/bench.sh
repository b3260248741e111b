#!/usr/bin/env bash
# make bench: every harness side by side with the peer libraries, in one go.
# Rust (criterion: verify per scheme/size; dedup stores), Node, Python.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bench-rust.sh "$@"
echo; echo "== dedup stores"
cargo bench -q -p hookverify-bench --bench dedup
for s in scripts/bench-node.sh scripts/bench-python.sh; do
  [ -x "$s" ] && { echo; echo "== $s"; "$s"; }
done
true
