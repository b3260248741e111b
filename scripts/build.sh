#!/usr/bin/env bash
# make build: every artifact in place: the release CLI, then each scripts/build-*.sh (the npm
# package with its native addon and wasm, the Python wheel). `make test` runs it after deps.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo build --locked --release -p hookverify-cli"
cargo build --locked --release -p hookverify-cli
for s in scripts/build-*.sh; do
  [ -x "$s" ] || continue
  echo "== $s"
  "$s"
done
