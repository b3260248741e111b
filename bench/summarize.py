#!/usr/bin/env python3
"""Summarize the `verify` criterion bench as a markdown table.

Reads <target>/criterion/<scheme>/<contender>/<size>/new/{benchmark,estimates}.json
(written by `cargo bench -p hookverify-bench --bench verify`), prints markdown and
writes it to <target>/bench-rust.md. Times are criterion's median estimate. The goal
ratios are also given from each benchmark's fastest sample ("best"): on a shared,
loaded machine preemption only ever adds time, so best-vs-best is the steadier
comparison of two codes, while the medians say what a loaded receiver sees.

Usage: summarize.py [TARGET_DIR] [--json OUT]   (default: $CARGO_TARGET_DIR or ./target)
--json also writes every result (median and best ns per scheme/contender/size) for bench/report.py.
"""
import glob
import json
import os
import platform
import sys
import time

SCHEMES = ["standard", "stripe", "github", "slack", "shopify"]
SIZES = ["256B", "1KiB", "16KiB", "1MiB"]
CONTENDERS = ["hookverify_sig", "hookverify_verify", "hmac_sha2", "hmac_sha2_parse", "ring", "standardwebhooks", "svix", "sha256"]
GOAL_VS_HAND = 1.10  # ours / hand-written at 1 KiB, at most
GOAL_VS_SHA = 0.97  # ours throughput / raw SHA-256 throughput at 1 MiB, at least


def load(target):
    """{(scheme, contender, size): (median_ns, bytes, mtime, best_ns)}"""
    out = {}
    for path in glob.glob(os.path.join(target, "criterion", "*", "*", "*", "new", "benchmark.json")):
        with open(path) as f:
            meta = json.load(f)
        with open(os.path.join(os.path.dirname(path), "estimates.json")) as f:
            est = json.load(f)
        key = (meta["group_id"], meta["function_id"], meta["value_str"])
        nbytes = (meta.get("throughput") or {}).get("Bytes")
        best = None
        try:
            with open(os.path.join(os.path.dirname(path), "sample.json")) as f:
                sample = json.load(f)
            best = min(t / n for t, n in zip(sample["times"], sample["iters"]) if n)
        except (OSError, KeyError, ValueError):
            pass
        out[key] = (est["median"]["point_estimate"], nbytes, os.path.getmtime(path), best)
    return out


def fmt_ns(ns):
    if ns is None:
        return "—"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def fmt_ratio(r, goal=None, at_most=True, digits=2):
    if r is None:
        return "—"
    text = f"{r:.{digits}f}×"
    if goal is not None:
        ok = r <= goal if at_most else r >= goal
        text += " ✅" if ok else " ❌"
    return text


def ratio(a, b):
    return a / b if a is not None and b else None


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def write_json(path, data):
    """{scheme: {contender: {size: {median_ns, best_ns, bytes}}}} plus when the results were taken."""
    results = {}
    for (scheme, who, size), (median, nbytes, _mtime, best) in data.items():
        results.setdefault(scheme, {}).setdefault(who, {})[size] = {"median_ns": median, "best_ns": best, "bytes": nbytes}
    mtimes = [v[2] for v in data.values()]
    out = {"harness": "rust", "cpu": cpu_model(), "cpus": os.cpu_count(), "loadavg": [list(os.getloadavg())],
           "taken": [min(mtimes), max(mtimes)], "results": results}
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, indent=1)


def main():
    argv = sys.argv[1:]
    json_out = None
    if "--json" in argv:
        i = argv.index("--json")
        json_out = argv[i + 1]
        del argv[i:i + 2]
    target = argv[0] if argv else os.environ.get("CARGO_TARGET_DIR", "target")
    data = load(target)
    if not data:
        sys.exit(f"no criterion results under {target}/criterion; run the bench first")
    if json_out:
        write_json(json_out, data)

    def t(scheme, who, size):
        hit = data.get((scheme, who, size))
        return hit[0] if hit else None

    def best(scheme, who, size):
        hit = data.get((scheme, who, size))
        return hit[3] if hit else None

    lines = []
    add = lines.append
    newest = max(v[2] for v in data.values())
    oldest = min(v[2] for v in data.values())
    try:
        load1 = os.getloadavg()
        load_text = f"load average {load1[0]:.2f} / {load1[1]:.2f} / {load1[2]:.2f} at summary time"
    except OSError:
        load_text = "load average unknown"
    add("## hookverify Rust benchmarks (criterion, `bench/benches/verify.rs`)")
    add("")
    add(f"{cpu_model()}, {os.cpu_count()} CPUs, {load_text}. "
        f"Results from {time.strftime('%Y-%m-%d %H:%M', time.localtime(oldest))} to "
        f"{time.strftime('%H:%M', time.localtime(newest))}; median time per verification.")
    add("")
    add("`hookverify_sig` = `Verifier::verify_signature_at`, `hookverify_verify` = `verify_ref_at` (+ envelope parse, payload borrowed), "
        "`hmac_sha2` = hand-written hmac+sha2 verifier of the same scheme (pre-keyed, `verify_slice`), "
        "`ring` = the same with ring::hmac, `sha256` = raw SHA-256 of the body (ceiling).")
    add("")

    add("### Time per operation")
    add("")
    add("| scheme | size | " + " | ".join(CONTENDERS) + " |")
    add("|---|---|" + "---:|" * len(CONTENDERS))
    for scheme in SCHEMES:
        for size in SIZES:
            row = [fmt_ns(t(scheme, who, size)) for who in CONTENDERS]
            if all(c == "—" for c in row):
                continue
            add(f"| {scheme} | {size} | " + " | ".join(row) + " |")
    add("")

    add("### Goals and ratios (ours / other: below 1 means hookverify is faster)")
    add("")
    add(f"| scheme | sig / hmac_sha2 @1KiB (goal ≤ {GOAL_VS_HAND}) | same, best samples | verify / hmac_sha2 @1KiB "
        f"| sig / ring @1KiB | sig / ring @1MiB | sig thrpt / SHA-256 thrpt @1MiB (goal ≥ {GOAL_VS_SHA}) "
        f"| same, best samples | hmac_sha2 thrpt / SHA-256 @1MiB |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    misses = []
    for scheme in SCHEMES:
        vs_hand = ratio(t(scheme, "hookverify_sig", "1KiB"), t(scheme, "hmac_sha2", "1KiB"))
        full_vs_hand = ratio(t(scheme, "hookverify_verify", "1KiB"), t(scheme, "hmac_sha2", "1KiB"))
        vs_ring_1k = ratio(t(scheme, "hookverify_sig", "1KiB"), t(scheme, "ring", "1KiB"))
        vs_ring_1m = ratio(t(scheme, "hookverify_sig", "1MiB"), t(scheme, "ring", "1MiB"))
        # Same byte count, so the throughput ratio is the inverse time ratio.
        vs_sha = ratio(t(scheme, "sha256", "1MiB"), t(scheme, "hookverify_sig", "1MiB"))
        hand_vs_sha = ratio(t(scheme, "sha256", "1MiB"), t(scheme, "hmac_sha2", "1MiB"))
        vs_hand_best = ratio(best(scheme, "hookverify_sig", "1KiB"), best(scheme, "hmac_sha2", "1KiB"))
        vs_sha_best = ratio(best(scheme, "sha256", "1MiB"), best(scheme, "hookverify_sig", "1MiB"))
        if vs_hand is not None and vs_hand > GOAL_VS_HAND:
            misses.append(f"{scheme}: sig / hmac_sha2 @1KiB = {vs_hand:.2f}×")
        if vs_sha is not None and vs_sha < GOAL_VS_SHA:
            misses.append(f"{scheme}: throughput / SHA-256 @1MiB = {vs_sha:.3f}×")
        add(f"| {scheme} | {fmt_ratio(vs_hand, GOAL_VS_HAND, True)} | {fmt_ratio(vs_hand_best, GOAL_VS_HAND, True)} "
            f"| {fmt_ratio(full_vs_hand)} | {fmt_ratio(vs_ring_1k)} | {fmt_ratio(vs_ring_1m)} "
            f"| {fmt_ratio(vs_sha, GOAL_VS_SHA, False, 3)} | {fmt_ratio(vs_sha_best, GOAL_VS_SHA, False, 3)} "
            f"| {fmt_ratio(hand_vs_sha, digits=3)} |")
    add("")

    add("### Standard Webhooks: hookverify beside the peer crates")
    add("")
    add("| size | sig / standardwebhooks | sig / svix | verify / standardwebhooks | verify / svix |")
    add("|---|---:|---:|---:|---:|")
    for size in SIZES:
        sig, full = t("standard", "hookverify_sig", size), t("standard", "hookverify_verify", size)
        swh, svx = t("standard", "standardwebhooks", size), t("standard", "svix", size)
        if swh is None and svx is None:
            continue
        add(f"| {size} | {fmt_ratio(ratio(sig, swh))} | {fmt_ratio(ratio(sig, svx))} "
            f"| {fmt_ratio(ratio(full, swh))} | {fmt_ratio(ratio(full, svx))} |")
    add("")
    add("Goals missed (medians): " + ("; ".join(misses) if misses else "none") + ".")

    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(os.path.join(target, "bench-rust.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
