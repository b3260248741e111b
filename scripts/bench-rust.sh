#!/usr/bin/env bash
# Rust benchmarks: hookverify beside a hand-written hmac+sha2 verifier, ring, the
# standardwebhooks and svix crates and raw SHA-256, per scheme and body size
# (bench/benches/verify.rs), then a markdown summary printed and written to
# target/bench-rust.md (bench/summarize.py).
#
# Usage: scripts/bench-rust.sh [FILTER] [CRITERION FLAGS...]
#   scripts/bench-rust.sh                      # everything, ~6 min on 2 quiet cores
#   scripts/bench-rust.sh github/              # one scheme
#   scripts/bench-rust.sh '1KiB' --quick       # criterion flags pass through (a leading `--` is fine)
# Env:
#   BENCH_WARMUP=1 BENCH_MEASURE=2   seconds of warm-up / measurement per benchmark (fractions ok)
#   BENCH_NRESAMPLES=10000           bootstrap resamples (criterion's default 100000 is slow to analyse)
#   BENCH_PLOTS=1                    keep criterion's HTML plots (off by default: they cost minutes)
#   BENCH_SKIP_RUN=1                 only re-summarize existing results
set -euo pipefail
cd "$(dirname "$0")/.."

args=("$@")
if [[ ${#args[@]} -gt 0 && ${args[0]} == "--" ]]; then args=("${args[@]:1}"); fi
has() { local a; for a in "${args[@]}"; do [[ $a == "$1" || $a == "$1="* ]] && return 0; done; return 1; }
extra=()
has --nresamples || extra+=(--nresamples "${BENCH_NRESAMPLES:-10000}")
[[ ${BENCH_PLOTS:-0} == 1 ]] || has --noplot || extra+=(--noplot)

target="${CARGO_TARGET_DIR:-target}"
if [[ ${BENCH_SKIP_RUN:-0} != 1 ]]; then
  export HOOKVERIFY_BENCH_WARMUP="${BENCH_WARMUP:-1}" HOOKVERIFY_BENCH_MEASURE="${BENCH_MEASURE:-2}"
  cargo bench --locked -p hookverify-bench --bench verify -- "${args[@]}" "${extra[@]}"
fi
echo
python3 bench/summarize.py "$target"
echo "(written to $target/bench-rust.md)"
