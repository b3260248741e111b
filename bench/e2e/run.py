#!/usr/bin/env python3
"""End-to-end throughput: each framework's hookverify receiver vs a bare route of the same framework,
under wrk on loopback, in interleaved rounds (every server once per round, order rotated, a fresh
server process and an empty MemoryStore per run). Every request is a distinct, validly signed
Standard Webhooks delivery (pre-signed with the stdlib by signed_requests.py), so dedup never
short-circuits. One server process/worker/thread and one wrk thread, each pinned to its own core
(server on CPU 1, wrk on CPU 0; E2E_PIN=0 turns that off), so the two cores are split between load
generator and server. E2E_ONLY=express,flask runs only those frameworks' servers.

Usage: run.py OUT.json [--quick]   (needs wrk, node + tests/node deps, target/release/e2e-axum,
target/bench-venv with flask + gunicorn + the hookverify wheel)
"""

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
E2E = os.path.join(ROOT, "bench", "e2e")
VENV = os.path.join(ROOT, "target", "bench-venv", "bin")
# E2E_PIN=0: let the scheduler place the server and wrk (default: server on CPU 1, wrk on CPU 0).
PIN = os.environ.get("E2E_PIN", "1") != "0"


# Floors (information, no goal): the bare route plus only the signature check of one backend.
FLOOR_NATIVE = "express.raw + verifySignature only (native)"
FLOOR_WASM = "express.raw + verifySignature only (wasm)"


def servers(port):
    axum = os.path.join(ROOT, "target", "release", "e2e-axum")
    node = ["node", os.path.join(E2E, "express_server.cjs")]
    gunicorn = [os.path.join(VENV, "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "--chdir", E2E,
                "--log-level", "warning", "flask_app:app"]
    return {
        # name: (framework, argv, extra env)
        "axum bare": ("axum", [axum, "bare", str(port)], {}),
        "axum hookverify": ("axum", [axum, "hookverify", str(port)], {}),
        "express bare (express.raw)": ("express", node + ["bare", str(port)], {}),
        "express hookverify (native)": ("express", node + ["native", str(port)], {}),
        "express hookverify (wasm)": ("express", node + ["wasm", str(port)], {}),
        FLOOR_NATIVE: ("express", node + ["raw-verify-native", str(port)], {}),
        FLOOR_WASM: ("express", node + ["raw-verify-wasm", str(port)], {}),
        "flask bare (gunicorn)": ("flask", gunicorn, {"BENCH_MODE": "bare"}),
        "flask hookverify (gunicorn)": ("flask", gunicorn, {"BENCH_MODE": "hookverify"}),
    }


def wait_port(port, proc, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not listen")


def pinned(cpu, argv):
    """argv pinned to one CPU when taskset exists and there are two or more: the server and wrk
    then each own a core instead of being moved between them by the scheduler mid-run."""
    if PIN and os.cpu_count() and os.cpu_count() >= 2 and shutil.which("taskset"):
        return ["taskset", "-c", str(cpu)] + argv
    return argv


def run_wrk(port, reqs, seconds, conns):
    out = subprocess.run(
        pinned(0, ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "-s", os.path.join(E2E, "deliveries.lua"),
         f"http://127.0.0.1:{port}/webhooks"]),
        env={**os.environ, "HV_REQS": reqs}, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return rps, total, int(bad.group(1)) if bad else 0, errors.group(1) if errors else None


def main():
    out_path = sys.argv[1]
    quick = "--quick" in sys.argv or os.environ.get("BENCH_QUICK") == "1"
    # Nine short rounds rather than five long ones: on this 2-vCPU VM one server's req/s drifts by
    # about ±10% from round to round, and the median of nine per-round ratios is steadier.
    rounds, seconds, conns = (1, 3, 8) if quick else (9, 4, 8)
    n_reqs = 600_000
    port = 39000 + os.getpid() % 1000
    table = servers(port)
    only = [f for f in os.environ.get("E2E_ONLY", "").split(",") if f]  # e.g. E2E_ONLY=express,flask
    if only:
        table = {k: v for k, v in table.items() if v[0] in only}
    samples = {name: [] for name in table}
    notes = []
    load = [os.getloadavg()]
    with tempfile.TemporaryDirectory() as tmp:
        reqs = os.path.join(tmp, "reqs.txt")
        for r in range(rounds):
            # Fresh timestamps each round (a round is well inside the 5-minute window).
            subprocess.run([sys.executable, os.path.join(E2E, "signed_requests.py"), reqs, str(n_reqs), "1024"], check=True)
            names = list(table)
            names = names[r % len(names):] + names[: r % len(names)]
            for name in names:
                _, argv, env = table[name]
                proc = subprocess.Popen(pinned(1, argv), env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                try:
                    wait_port(port, proc)
                    run_wrk(port, reqs, 1, conns)  # warm-up (JIT, lazy init); its ids are spent on this server only
                    rps, total, bad, errors = run_wrk(port, reqs, seconds, conns)
                finally:
                    proc.terminate()
                    try:
                        proc.wait(5)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
                if bad:
                    notes.append(f"{name} round {r + 1}: {bad} non-2xx responses")
                if total > n_reqs:
                    notes.append(f"{name} round {r + 1}: {total} requests > {n_reqs} distinct deliveries (ids repeated)")
                if errors:
                    notes.append(f"{name} round {r + 1}: socket errors {errors}")
                samples[name].append(rps)
                print(f"  round {r + 1} {name:32} {rps:10.0f} req/s", file=sys.stderr)
            load.append(os.getloadavg())
    results = {}
    for name, (framework, _, _) in table.items():
        xs = samples[name]
        results[name] = {"framework": framework, "rps": xs, "median_rps": statistics.median(xs), "best_rps": max(xs),
                         "floor": name in (FLOOR_NATIVE, FLOOR_WASM)}
    frameworks = {v["framework"] for v in results.values()}
    bare = {fw: next(v for k, v in results.items() if v["framework"] == fw and "bare" in k) for fw in frameworks}
    for name, v in results.items():
        b = bare[v["framework"]]
        v["ratio_median"] = v["median_rps"] / b["median_rps"]
        v["ratio_best"] = v["best_rps"] / b["best_rps"]
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip()
    gunicorn = subprocess.run([os.path.join(VENV, "gunicorn"), "--version"], capture_output=True, text=True).stdout.strip()
    with open(os.path.join(ROOT, "tests", "node", "node_modules", "express", "package.json")) as f:
        express = json.load(f)["version"]
    with open(out_path, "w") as f:
        json.dump({"harness": "e2e", "quick": quick, "rounds": rounds, "seconds": seconds, "connections": conns,
                   "body_bytes": 1024, "distinct_deliveries": n_reqs, "loadavg": load,
                   "pinned": pinned(1, []) != [], "wrk": wrk_version,
                   "gunicorn": gunicorn.split()[-1].strip("()") if gunicorn else "?", "express": express,
                   "results": results, "notes": notes}, f, indent=1)
    for name, v in results.items():
        print(f"{name:32} median {v['median_rps']:9.0f} req/s  best {v['best_rps']:9.0f}  "
              f"vs bare: {v['ratio_median']:.2f}x (best {v['ratio_best']:.2f}x)")
    for n in notes:
        print("note:", n)


if __name__ == "__main__":
    main()
