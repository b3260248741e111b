#!/usr/bin/env python3
"""Peak-RSS deltas of verifying a 25 MiB body N times, per binding, vs the same process that skips
the verify calls: `run.py OUT.json PYTHON` (PYTHON = an interpreter with the hookverify wheel).
Each probe runs REPEAT times; the median peak is used. Goal: `sig` (verify alone) and `receiver`
(the whole receiving pipeline) add no body-sized copy. Wasm must copy the body into linear memory
once (expected); the `event` rows
(verify + envelope parse) show what the event costs; see bench/report.py for what each probe reads.
"""

import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RSS = os.path.join(ROOT, "bench", "rss")
N, REPEAT = 5, 3


def probes(python):
    rust = [os.path.join(ROOT, "target", "release", "rss-rust")]
    node = ["node", "--expose-gc", os.path.join(RSS, "rss.mjs")]
    py = [python, os.path.join(RSS, "rss.py")]
    return {
        # binding: (argv prefix, [(mode label, arg)])
        "Rust": (rust, [("baseline", "baseline"), ("verify_signature", "sig"), ("verify_ref_at (event)", "event"),
                        ("Receiver begin + finish", "receiver")]),
        "Node native": (node, [("baseline", "baseline"), ("verifySignature", "native-sig"), ("verify (event)", "native-event"),
                               ("Receiver handle", "native-receiver")]),
        "Node wasm": (node, [("baseline", "baseline"), ("verifySignature", "wasm-sig"), ("verify (event)", "wasm-event"),
                             ("Receiver handle", "wasm-receiver")]),
        "Python": (py, [("baseline", "baseline"), ("verify_signature", "sig"), ("verify (event)", "event"),
                        ("Receiver handle", "receiver")]),
    }


def main():
    out_path, python = sys.argv[1], sys.argv[2]
    results = {}
    for binding, (argv, modes) in probes(python).items():
        peaks = {}
        for label, arg in modes:
            runs = []
            for _ in range(REPEAT):
                # Run outside the source tree so Python imports the installed wheel.
                line = subprocess.run(argv + [arg, str(N)], capture_output=True, text=True, check=True, cwd="/tmp").stdout
                runs.append(json.loads(line.strip().splitlines()[-1])["hwm_kib"])
            peaks[label] = statistics.median(runs)
        base = peaks["baseline"]
        results[binding] = {
            label: {"peak_mib": kib / 1024, "delta_mib": (kib - base) / 1024} for label, kib in peaks.items()
        }
        print(f"{binding:12} " + "  ".join(f"{k}: peak {v['peak_mib']:.1f} MiB (+{v['delta_mib']:.1f})" for k, v in results[binding].items()))
    with open(out_path, "w") as f:
        json.dump({"harness": "rss", "body_mib": 25, "verifies": N, "repeat": REPEAT, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
