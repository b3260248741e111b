#!/usr/bin/env bash
# Rust suites: the core (all features) and the CLI. Binding crates are tested by their language suites.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -p hookverify -p hookverify-cli -p hookverify-example-axum --all-features
