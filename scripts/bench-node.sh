#!/usr/bin/env bash
# Verification benchmark of the npm package side by side with node:crypto by hand, standardwebhooks,
# svix, stripe, @octokit/webhooks-methods and WebCrypto at 256 B, 1 KiB, 16 KiB, 1 MiB (interleaved).
# Markdown on stdout (and target/bench-node.md), JSON in target/bench/node.json for bench/report.py.
# `--quick` or BENCH_QUICK=1 for a short run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/deps-node.sh
[ -f packages/npm/hookverify.linux-x64-gnu.node ] && [ -f packages/npm/lib/api.mjs ] && [ -f packages/npm/lib/fetch.mjs ] || scripts/build-npm.sh
mkdir -p target/bench
(cd tests/node && node bench.mjs "$@" --json "$root/target/bench/node.json") | tee target/bench-node.md
