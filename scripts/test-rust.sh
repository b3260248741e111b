#!/usr/bin/env bash
# Rust suites: clippy over the whole workspace, then the core (all features) and the CLI.
# Binding crates are tested by their language suites.
set -euo pipefail
cd "$(dirname "$0")/.."
# Every crate and target (tests, benches, bindings); any warning fails. Reuses target/'s check cache.
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo test --locked -p hookverify -p hookverify-cli -p hookverify-example-axum --all-features
# The shared vectors are what every runtime tests against: refuse edited copies.
(cd tests/vectors && sha256sum -c --quiet SHA256SUMS && echo "vectors: SHA256SUMS ok")
