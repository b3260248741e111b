#!/usr/bin/env bash
# CI smoke run of the fuzz targets: each target for FUZZ_SMOKE_SECONDS (default 10) from the
# seed corpus, built without a sanitizer to keep the build short. `make fuzz` is the real run.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SMOKE_SECONDS:-10} FUZZ_SANITIZER=none exec scripts/fuzz.sh
