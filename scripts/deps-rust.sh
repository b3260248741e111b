#!/usr/bin/env bash
# Rust targets and tools: the wasm32 target, clippy, wasm-bindgen-cli at the exact version
# bindings/wasm pins for its crate, and for the fuzz targets the nightly toolchain and cargo-fuzz. Rust itself (rustup, cargo) is a prerequisite, not installed here.
# Detection: scripts/lib/tools.sh.
set -euo pipefail
source "$(dirname "$0")/lib/tools.sh"
for tool in cargo rustup; do
  if hv_need "$tool"; then hv_cannot_install "$tool"; fi
done
if hv_need wasm32-target; then
  hv_run rustup target add wasm32-unknown-unknown
  hv_installed wasm32-target
fi
if hv_need clippy; then
  hv_run rustup component add clippy
  hv_installed clippy
fi
if hv_need wasm-bindgen; then
  if ! want=$(hv_wasm_bindgen_version); then hv_cannot_install wasm-bindgen; exit 0; fi
  hv_cargo_install wasm-bindgen-cli --version "$want"
  hv_installed wasm-bindgen
fi
if hv_need nightly; then
  hv_run rustup toolchain install nightly --profile minimal
  hv_installed nightly
fi
if hv_need cargo-fuzz; then
  hv_cargo_install cargo-fuzz --version '^0.13'
  hv_installed cargo-fuzz
fi
