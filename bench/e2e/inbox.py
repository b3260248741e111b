#!/usr/bin/env python3
"""End-to-end throughput of a receiver with the durable inbox (issue 21, item 7), each as a ratio
against the same receiver without an inbox. wrk posts distinct, validly signed Standard Webhooks
deliveries (pre-signed with the stdlib by signed_requests.py); every receiver answers 202 (async
mode), with an inbox only after the delivery was committed.

- `hookverify serve` (rows "serve + SQLite inbox", "serve + Postgres inbox (1 process)" and
  "(4 processes)", against "serve (no inbox)"): its function's type pattern matches no event, so
  each delivery is recorded once (verdict `unhandled`, state done): the cost of recording every
  delivery, without a process spawned per event (serve's functions are commands).
- `e2e-axum` (row "axum + SQLite inbox, handler runs", against "axum async (no inbox)"): the same
  deliveries taken by an in-process no-op handler, so each event goes the whole durable way:
  committed with its dedup key before the 202, leased to the receiving process, its handler run,
  its attempt and `done` committed.

Interleaved rounds, a fresh server (and a fresh inbox) per run. The receiver side (the server and
its PostgreSQL) is pinned to CPU 1, wrk to CPU 0 (E2E_PIN=0 turns that off). With 4 processes,
each serve listens on its own port and gets its own wrk (the connections split between them) and
their req/s are summed.

PostgreSQL (apt `postgresql`) is started here: initdb in a temp dir (as the `postgres` user when
root), a free loopback port, fsync on (the durability measured is the real one), stopped by pid.

Usage: inbox.py OUT.json [--quick]   (needs wrk, target/release/hookverify and e2e-axum;
INBOX_ONLY=sqlite,pg1,pg4,axum,sqlite_many,axum_many picks rows besides their baselines;
INBOX_CONNECTIONS=N sets wrk's connections, 8 by default; the "128 connections" rows always use 128)
"""

import glob
import json
import os
import pwd
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import pinned, run_wrk, wait_port  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
E2E = os.path.join(ROOT, "bench", "e2e")
# HOOKVERIFY_BIN: another build to measure (an earlier commit's, say).
HOOKVERIFY = os.environ.get("HOOKVERIFY_BIN") or os.path.join(ROOT, "target", "release", "hookverify")
E2E_AXUM = os.environ.get("E2E_AXUM_BIN") or os.path.join(ROOT, "target", "release", "e2e-axum")
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # signed_requests.py's

BASE = "serve (no inbox)"
SQLITE = "serve + SQLite inbox"
PG1 = "serve + Postgres inbox (1 process)"
PG4 = "serve + Postgres inbox (4 processes)"
AXUM_BASE = "axum async (no inbox)"
AXUM_SQLITE = "axum + SQLite inbox, handler runs"
# The same receivers with many more senders at once: how the SQLite group commit's groups (and so
# the ratio) grow with concurrency.
MANY = 128
BASE_MANY = f"serve (no inbox), {MANY} connections"
SQLITE_MANY = f"serve + SQLite inbox, {MANY} connections"
AXUM_BASE_MANY = f"axum async (no inbox), {MANY} connections"
AXUM_SQLITE_MANY = f"axum + SQLite inbox, handler runs, {MANY} connections"
# Each row's baseline: the same receiver without an inbox, as many connections.
BASELINE = {BASE: BASE, SQLITE: BASE, PG1: BASE, PG4: BASE, AXUM_BASE: AXUM_BASE, AXUM_SQLITE: AXUM_BASE,
            BASE_MANY: BASE_MANY, SQLITE_MANY: BASE_MANY, AXUM_BASE_MANY: AXUM_BASE_MANY, AXUM_SQLITE_MANY: AXUM_BASE_MANY}
# What each row runs (a row of MANY runs its receiver with MANY connections).
RECEIVER = {BASE_MANY: BASE, SQLITE_MANY: SQLITE, AXUM_BASE_MANY: AXUM_BASE, AXUM_SQLITE_MANY: AXUM_SQLITE}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin():
    if os.environ.get("PG_BIN_DIR"):
        return os.environ["PG_BIN_DIR"]
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


class Postgres:
    """A PostgreSQL server in `dir` on a free loopback port (trust auth on loopback: a bench)."""

    def __init__(self, dir):
        self.bin = pg_bin()
        if not self.bin:
            raise RuntimeError("PostgreSQL is not installed (apt `postgresql`)")
        self.dir, self.port = dir, free_port()
        self.user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        os.makedirs(dir, exist_ok=True)
        if self.user:
            os.chown(dir, self.user.pw_uid, self.user.pw_gid)
        subprocess.run([os.path.join(self.bin, "initdb"), "-D", os.path.join(dir, "data"), "-U", "hookverify",
                        "--auth=trust", "-E", "UTF8", "--locale=C"], check=True, capture_output=True,
                       user=self.user.pw_uid if self.user else None, group=self.user.pw_gid if self.user else None)
        self.proc = subprocess.Popen(
            pinned(1, [os.path.join(self.bin, "postgres"), "-D", os.path.join(dir, "data"), "-p", str(self.port), "-k", dir,
                       "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"]),
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(dir, "log"), "w"),
            user=self.user.pw_uid if self.user else None, group=self.user.pw_gid if self.user else None)
        wait_port(self.port, self.proc, 30)
        time.sleep(0.5)  # accepting TCP before it accepts logins

    def url(self, db):
        return f"postgres://hookverify@127.0.0.1:{self.port}/{db}"

    def create(self, db):
        subprocess.run([os.path.join(self.bin, "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "hookverify",
                        "-d", "postgres", "-qc", f"CREATE DATABASE {db}"], check=True, capture_output=True)
        return self.url(db)

    def stop(self):
        self.proc.send_signal(2)  # fast shutdown, by pid
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def config(dir, port, inbox):
    """The config of the serve on `port` (the secret and function files shared, written once: a
    serve already started may be reading them)."""
    if not os.path.exists(os.path.join(dir, "standard.secrets")):
        with open(os.path.join(dir, "standard.secrets"), "w") as f:
            f.write(SECRET + "\n")
        fn = os.path.join(dir, "fn.sh")
        with open(fn, "w") as f:
            f.write("#!/bin/sh\ncat >/dev/null\n")
        os.chmod(fn, 0o755)
    path = os.path.join(dir, f"serve-{port}.toml")
    with open(path, "w") as f:
        f.write(f'listen = "127.0.0.1:{port}"\n')
        if inbox:
            f.write(f'inbox = "{inbox}"\n')
        f.write('[[provider]]\nname = "standard"\nscheme = "standard"\nsecrets_file = "standard.secrets"\n'
                '[[function]]\nprovider = "standard"\npath = "webhooks"\ntypes = ["bench.never"]\nrun = ["./fn.sh"]\n')
    return path


def measure(kind, tmp, run_dir, reqs, seconds, conns, pg):
    """One run of `kind`: the req/s summed over its servers, requests sent, non-2xx, socket errors."""
    os.makedirs(run_dir)
    if kind in RECEIVER:
        kind, conns = RECEIVER[kind], MANY
    inbox, processes = {BASE: (None, 1), SQLITE: ("inbox.db", 1)}.get(kind, (None, 0))
    if kind in (PG1, PG4):
        inbox, processes = pg.create(os.path.basename(run_dir).replace("-", "_")), 1 if kind == PG1 else 4
    if kind in (AXUM_BASE, AXUM_SQLITE):
        processes = 1
    ports = [free_port() for _ in range(processes)]

    def command(p):
        if kind == AXUM_BASE:
            return [E2E_AXUM, "async", str(p)]
        if kind == AXUM_SQLITE:
            return [E2E_AXUM, "inbox", str(p), os.path.join(run_dir, "inbox.db")]
        return [HOOKVERIFY, "serve", "--config", config(run_dir, p, inbox)]

    procs = [subprocess.Popen(pinned(1, command(p)),
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(run_dir, f"serve-{p}.log"), "w"))
             for p in ports]
    try:
        for p, proc in zip(ports, procs):
            try:
                wait_port(p, proc)
            except RuntimeError:
                with open(os.path.join(run_dir, f"serve-{p}.log")) as log:
                    raise RuntimeError(f"serve on port {p} did not start: {log.read()}")
        # One request file per server (distinct ids across them), wrk's connections split.
        files = []
        for k, p in enumerate(ports):
            f = os.path.join(run_dir, f"reqs-{k}.txt")
            with open(reqs) as src, open(f, "w") as dst:
                lines = src.read().split("\n")
                dst.write("\n".join(lines[:2] + lines[2 + k::len(ports)]))
            files.append(f)
        c = max(1, conns // len(ports))
        # Warm-up, then the measured run; several servers: their wrk runs side by side.
        for secs in (1, seconds):
            results = [None] * len(ports)

            def one(k):
                results[k] = run_wrk(ports[k], files[k], secs, c)

            import threading
            threads = [threading.Thread(target=one, args=(k,)) for k in range(len(ports))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        rps = sum(r[0] for r in results)
        total = sum(r[1] for r in results)
        bad = sum(r[2] for r in results)
        errors = "; ".join(r[3] for r in results if r[3])
        return rps, total, bad, errors
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main():
    out_path = sys.argv[1]
    quick = "--quick" in sys.argv or os.environ.get("BENCH_QUICK") == "1"
    rounds, seconds, conns = (1, 3, 8) if quick else (5, 4, 8)
    conns = int(os.environ.get("INBOX_CONNECTIONS", conns))  # more senders at once: larger commit groups
    only = [k for k in os.environ.get("INBOX_ONLY", "").split(",") if k]  # e.g. INBOX_ONLY=base,sqlite
    kinds = {"base": BASE, "sqlite": SQLITE, "pg1": PG1, "pg4": PG4, "axum_base": AXUM_BASE, "axum": AXUM_SQLITE,
             "base_many": BASE_MANY, "sqlite_many": SQLITE_MANY, "axum_base_many": AXUM_BASE_MANY,
             "axum_many": AXUM_SQLITE_MANY}
    picked = [v for k, v in kinds.items() if not only or k in only]
    table = [v for v in kinds.values() if v in picked or v in {BASELINE[p] for p in picked}]
    n_reqs = 400_000
    samples = {k: [] for k in table}
    notes = []
    load = [os.getloadavg()]
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        pg = Postgres(os.path.join(tmp, "pg")) if PG1 in table or PG4 in table else None
        try:
            reqs = os.path.join(tmp, "reqs.txt")
            for r in range(rounds):
                subprocess.run([sys.executable, os.path.join(E2E, "signed_requests.py"), reqs, str(n_reqs), "1024"], check=True)
                names = table[r % len(table):] + table[: r % len(table)]
                for name in names:
                    run_dir = os.path.join(tmp, f"r{r}-{table.index(name)}")
                    rps, total, bad, errors = measure(name, tmp, run_dir, reqs, seconds, conns, pg)
                    if bad:
                        notes.append(f"{name} round {r + 1}: {bad} non-2xx responses")
                    if errors:
                        notes.append(f"{name} round {r + 1}: socket errors {errors}")
                    samples[name].append(rps)
                    print(f"  round {r + 1} {name:40} {rps:10.0f} req/s", file=sys.stderr)
                    shutil.rmtree(run_dir, ignore_errors=True)
                load.append(os.getloadavg())
        finally:
            if pg:
                pg.stop()
    results = {}
    for name in table:
        xs, bs = samples[name], samples[BASELINE[name]]
        results[name] = {"rps": xs, "median_rps": statistics.median(xs), "best_rps": max(xs), "baseline": BASELINE[name],
                         "ratio_median": statistics.median(xs) / statistics.median(bs), "ratio_best": max(xs) / max(bs)}
    with open(out_path, "w") as f:
        json.dump({"harness": "e2e-inbox", "quick": quick, "rounds": rounds, "seconds": seconds, "connections": conns,
                   "body_bytes": 1024, "loadavg": load, "pinned": pinned(1, []) != [], "baseline": BASE,
                   "results": results, "notes": notes}, f, indent=1)
    for name, v in results.items():
        print(f"{name:40} median {v['median_rps']:9.0f} req/s  best {v['best_rps']:9.0f}  "
              f"vs no inbox: {v['ratio_median']:.2f}x (best {v['ratio_best']:.2f}x)")
    for n in notes:
        print("note:", n)


if __name__ == "__main__":
    main()
