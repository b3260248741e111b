#!/usr/bin/env bash
# make ct: dudect constant-time measurement (ct/, dudect-bencher) of the tag comparison
# (`secret::verify_tag`) and of `Verifier::verify_signature_at` per preset, CT_SAMPLES samples
# per bench (default 1,000,000). Passes when every bench has max |t| <= 4.5 AND the positive
# control (a naive early-exit `==`) has max |t| > 10; otherwise the run is failed or invalid.
# `verify_*_eq_vs_*` also time Ok against building an error (a public difference) and are
# reported, not judged (`check_*` judge equal vs differing per preset without that outcome); `aa_*` (identical classes) are negative controls that show the host's noise; `diag_*` locate an effect (the harness alone, the hex decode alone) and are reported, not judged; `verify_*_first_vs_last` is the comparison leak test for verify.
# Writes ct/results/latest.txt. CT_PIN=0 turns off pinning the run to the last CPU.
set -euo pipefail
cd "$(dirname "$0")/../ct"
export CT_SAMPLES=${CT_SAMPLES:-1000000}
cargo build --locked --release --quiet
mkdir -p results
echo "ct: $CT_SAMPLES samples per bench, $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee results/latest.txt
# Pinned to one CPU (the last) when taskset exists: no migrations between cores mid-measurement.
runner=(target/release/hookverify-ct)
if command -v taskset >/dev/null && [ "${CT_PIN:-1}" = 1 ]; then runner=(taskset -c "$(( $(nproc) - 1 ))" "${runner[@]}"); fi
"${runner[@]}" | tee -a results/latest.txt
# Lines look like: "bench tag_eq_vs_first ... : n == +1.000M, max t = -1.23456, max tau = ..."
awk '
  /max t = / {
    name = $2; t = $0; sub(/.*max t = /, "", t); sub(/,.*/, "", t); t = t + 0; a = (t < 0) ? -t : t
    if (name ~ /^control/) { control = a; printf "control %-36s |t| = %8.2f  (must be > 10)\n", name, a }
    else if (name ~ /^diag_/) { printf "diag    %-36s |t| = %8.2f  (diagnostic: locates an effect; not a pass/fail bench)\n", name, a }
    else if (name ~ /^aa_/) { printf "A/A     %-36s |t| = %8.2f  (negative control: identical classes; > 4.5 means the machine is too noisy)\n", name, a; if (a > 4.5) noisy++ }
    else if (name ~ /^verify_.*_eq_vs_/) { printf "outcome %-36s |t| = %8.2f  (Ok vs error: the verdict is public; not a pass/fail bench)\n", name, a }
    else { n++; if (a > 4.5) { bad++; printf "LEAK?   %-36s |t| = %8.2f\n", name, a } else printf "ok      %-36s |t| = %8.2f\n", name, a }
  }
  END {
    if (control <= 10) { print "ct: INVALID RUN: the positive control was not detected (|t| <= 10)"; exit 2 }
    if (noisy > 0) print "ct: WARNING: an A/A negative control exceeded 4.5: this host is too noisy for the threshold"
    printf "ct: %d passed, %d failed\n", n - bad, bad; exit (bad > 0)
  }' results/latest.txt | tee results/verdict.txt
