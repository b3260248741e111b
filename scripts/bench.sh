#!/usr/bin/env bash
# make bench: every harness side by side with the peer libraries, in one go, then BENCHMARKS.md and
# docs/bench.png re-generated from their JSON (target/bench/*.json) by bench/report.py.
#   Rust (criterion: verify per size; Standard Webhooks scheme, BENCH_SCHEMES=all for every scheme;
#   dedup stores), Node, Python (interleaved), end to end (wrk vs bare routes), peak RSS.
# BENCH_QUICK=1 for a short, noisy run while iterating. BENCH_ONLY="node python" runs only those
# parts (rust dedup node python e2e inbox rss) and re-uses the other JSON files already in target/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
quick=${BENCH_QUICK:-0}
only=" ${BENCH_ONLY:-rust dedup node python e2e inbox rss} "
want() { [[ $only == *" $1 "* ]]; }
out=target/bench
mkdir -p "$out"
qflag=(); [[ $quick == 1 ]] && qflag=(--quick)
echo "{\"started\": \"$(date -u '+%Y-%m-%d %H:%M:%S UTC')\", \"quick\": $([[ $quick == 1 ]] && echo true || echo false), \"loadavg\": [[$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,)]]}" > "$out/run.json"
echo "== bench: loadavg $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores${quick:+ (quick=$quick)}"

# --- tools: wrk (apt), the bench venv (flask, gunicorn, matplotlib + the wheel), release binaries.
if { want e2e || want inbox; } && ! command -v wrk >/dev/null; then
  echo "bench: apt-get install wrk"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
venv=target/bench-venv
stamp="$venv/.requirements.sha256"
if [ "$(cat "$stamp" 2>/dev/null)" != "$(sha256sum bench/requirements.txt | cut -d' ' -f1)" ]; then
  echo "bench: $venv with bench/requirements.txt"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r bench/requirements.txt
  sha256sum bench/requirements.txt | cut -d' ' -f1 > "$stamp"
fi
# The artifacts are always rebuilt (incremental): a stale addon or wheel from before a change to the
# packages' JS/Python would measure the wrong code, or fail on a result format it no longer reads.
# BENCH_NO_BUILD=1 skips this while iterating on the harnesses alone.
if [[ ${BENCH_NO_BUILD:-0} != 1 ]] && { want e2e || want rss || want python || want node; }; then
  scripts/deps-node.sh
  scripts/build-npm.sh
  scripts/build-python.sh
fi
if want e2e || want rss || want python; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/hookverify-*.whl
fi
if want e2e || want rss; then cargo build --locked -q --release -p hookverify-bench --bins; fi
if want inbox; then cargo build --locked -q --release -p hookverify-cli && cargo build --locked -q --release -p hookverify-bench --bin e2e-axum; fi

# --- micro benchmarks
if want rust; then
  echo; echo "== rust (criterion)"
  filter=(standard/); [[ ${BENCH_SCHEMES:-standard} == all ]] && filter=()
  if [[ $quick == 1 ]]; then export BENCH_WARMUP=${BENCH_WARMUP:-0.3} BENCH_MEASURE=${BENCH_MEASURE:-0.7}; fi
  scripts/bench-rust.sh "${filter[@]}" "$@"
  python3 bench/summarize.py target --json "$out/rust.json" >/dev/null
  echo; echo "== rust (interleaved: the goal ratios)"
  cargo build --locked -q --release -p hookverify-bench --bin bench-interleaved
  target/release/bench-interleaved "$out/rust-interleaved.json" "${qflag[@]}"
fi
if want dedup; then
  echo; echo "== dedup stores"
  HOOKVERIFY_BENCH_MEASURE=$([[ $quick == 1 ]] && echo 0.5 || echo 2) cargo bench --locked -q -p hookverify-bench --bench dedup | tee "$out/dedup.md"
fi
if want node; then echo; echo "== node"; scripts/bench-node.sh "${qflag[@]}"; fi
if want python; then echo; echo "== python"; scripts/bench-python.sh "${qflag[@]}"; fi

# --- end to end and memory
if want e2e; then echo; echo "== end to end"; python3 bench/e2e/run.py "$out/e2e.json" "${qflag[@]}"; fi
# receivers with the durable inbox (serve: SQLite, PostgreSQL with 1 and 4 processes; axum: SQLite) vs the same without one.
if want inbox; then
  echo; echo "== receivers + inbox"; python3 bench/e2e/inbox.py "$out/inbox.json" "${qflag[@]}"
  # The least any SQLite inbox writes per delivery, on this machine (pinned as the receivers are).
  echo; echo "== SQLite floor"
  pin=(); if [[ ${E2E_PIN:-1} != 0 ]] && command -v taskset >/dev/null; then pin=(taskset -c 1); fi
  cargo build --locked -q --release -p hookverify-bench --bin inbox-floor
  "${pin[@]}" target/release/inbox-floor "$out/inbox-floor.json" "${qflag[@]}"
fi
if want rss; then echo; echo "== peak RSS"; python3 bench/rss/run.py "$out/rss.json" "$root/$venv/bin/python"; fi

echo; echo "== report"
"$venv/bin/python" bench/report.py "$out"
