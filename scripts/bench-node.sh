#!/usr/bin/env bash
# Verification benchmark of the npm package side by side with node:crypto by hand, standardwebhooks,
# svix, stripe, @octokit/webhooks-methods and WebCrypto at 256 B, 1 KiB, 16 KiB, 1 MiB.
# Writes the markdown table to stdout (and target/bench-node.md). `--quick` for a short run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps-node.sh
[ -f packages/npm/hookverify.linux-x64-gnu.node ] && [ -f packages/npm/lib/api.mjs ] || scripts/build-npm.sh
mkdir -p target
(cd tests/node && node bench.mjs "$@") | tee target/bench-node.md
