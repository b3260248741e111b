#!/usr/bin/env bash
# make fuzz: runs every cargo-fuzz target in fuzz/ for FUZZ_SECONDS each (default 600),
# one after the other, seeded from tests/vectors (fuzz/seed_corpus.py). Needs the installed
# nightly toolchain and cargo-fuzz (scripts/deps-rust.sh installs them when missing).
#   FUZZ_SECONDS=600   seconds per target
#   FUZZ_TARGETS="a b" run only these targets (default: all, from `cargo fuzz list`)
#   FUZZ_SANITIZER=address  (cargo-fuzz's default; the CI smoke run uses `none` to build faster)
# Writes fuzz/logs/<sanitizer>/<target>.log and .../summary.tsv; exits non-zero if any target
# found a crash, panic, timeout or OOM (the reproducer is in fuzz/artifacts/<target>/).
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-600}

# The nightly toolchain and cargo-fuzz 0.12+ (`run ... -- <libFuzzer flags>` and `list` as used
# below), installed by scripts/deps-rust.sh when missing (the probes: scripts/lib/tools.sh).
scripts/deps-rust.sh

python3 fuzz/seed_corpus.py
cd fuzz
# cargo-fuzz has no --locked: refuse a stale fuzz/Cargo.lock here rather than let the build rewrite it.
cargo +nightly metadata --locked --format-version 1 >/dev/null
targets=${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}
sanitizer=${FUZZ_SANITIZER:-address}
# A target dir per sanitizer: switching would otherwise rebuild everything.
flags=(--debug-assertions --sanitizer "$sanitizer" --target-dir "target/$sanitizer")
# One build of every target (debug assertions on, so overflow and slice bugs panic).
if [ -z "${FUZZ_TARGETS:-}" ]; then
  cargo +nightly fuzz build "${flags[@]}" >/dev/null 2>build.log || { cat build.log >&2; exit 1; }
else
  for t in $targets; do cargo +nightly fuzz build "${flags[@]}" "$t" >/dev/null 2>build.log || { cat build.log >&2; exit 1; }; done
fi
logs="logs/$sanitizer"
mkdir -p "$logs"
printf 'target\tseconds\texecs\texecs_per_s\tcorpus\tpeak_rss_mb\tresult\n' > "$logs/summary.tsv"
max_len() {
  case "$1" in
    envelope|diagnose) echo 65536 ;;   # room for 10,000-deep nesting and long strings
    header_*) echo 20000 ;;            # past the 16 KiB header limit
    *) echo 8192 ;;
  esac
}
failed=0
for t in $targets; do
  mkdir -p "corpus/$t" "artifacts/$t"
  start=$(date +%s)
  set +e
  cargo +nightly fuzz run "${flags[@]}" "$t" "corpus/$t" -- \
    -max_total_time="$FUZZ_SECONDS" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"$logs/$t.log" 2>&1
  rc=$?
  set -e
  secs=$(( $(date +%s) - start ))
  stat() { grep -Eo "^stat::$1: *[0-9]+" "$logs/$t.log" | tail -1 | grep -Eo '[0-9]+$' || echo 0; }
  execs=$(stat number_of_executed_units); eps=$(stat average_exec_per_sec); rss=$(stat peak_rss_mb)
  corpus=$(ls "corpus/$t" | wc -l)
  if [ "$rc" -eq 0 ]; then result=ok; else result="FAIL(rc=$rc)"; failed=$((failed + 1)); fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$secs" "$execs" "$eps" "$corpus" "$rss" "$result" >> "$logs/summary.tsv"
  printf 'fuzz %-14s %5ss %12s execs %8s/s corpus %5s  %s\n' "$t" "$secs" "$execs" "$eps" "$corpus" "$result"
  if [ "$rc" -ne 0 ]; then
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$logs/$t.log" | head -20 >&2
  fi
done
n=$(echo $targets | wc -w)
echo "fuzz: $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
