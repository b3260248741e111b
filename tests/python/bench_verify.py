"""Side-by-side verification benchmark (run by scripts/bench-python.sh against the installed wheel).

Every contender checks the same valid request. Standard Webhooks scheme unless noted; Stripe has its
own rows. ns/op: best and median over interleaved rounds. Usage: bench_verify.py [--quick] [--json PATH]
[--compare MODULE] (markdown on stdout; the JSON is read by bench/report.py). --compare adds rows for another
importable copy of the package (e.g. the previous wheel unpacked as `hookverify_before` on PYTHONPATH), timed in
the same interleaved rounds, for before/after figures from one run.
"""

import base64
import hashlib
import hmac
import importlib.metadata
import json
import os
import ssl
import statistics
import sys
import time
import timeit
from datetime import datetime, timezone

import standardwebhooks.webhooks as sw
import stripe
import svix.webhooks as svix

import hookverify as hv

SIZES = [("256 B", 256), ("1 KiB", 1024), ("16 KiB", 16 * 1024), ("1 MiB", 1024 * 1024)]
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
STRIPE_SECRET = "whsec_stripe_bench_secret"


def envelope(size: int) -> bytes:
    head = b'{"type":"user.created","timestamp":"2023-11-14T22:13:20Z","data":{"pad":"'
    tail = b'"}}'
    return head + b"x" * max(0, size - len(head) - len(tail)) + tail


def stdlib_standard(secret: str):
    """What a careful user writes with the standard library for Standard Webhooks."""
    key = base64.b64decode(secret[len("whsec_") :])

    def verify(body: bytes, headers) -> None:
        msg_id = headers["webhook-id"]
        ts = headers["webhook-timestamp"]
        if abs(time.time() - int(ts)) > 300:
            raise ValueError("timestamp")
        expected = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
        for entry in headers["webhook-signature"].split(" "):
            version, _, sig = entry.partition(",")
            if version == "v1" and hmac.compare_digest(expected, base64.b64decode(sig)):
                return
        raise ValueError("no match")

    return verify


def stdlib_stripe(secret: str):
    """The same by hand for Stripe."""
    key = secret.encode()

    def verify(body: bytes, header: str) -> None:
        pairs = [p.split("=", 1) for p in header.split(",")]
        ts = next(v for k, v in pairs if k == "t")
        if abs(time.time() - int(ts)) > 300:
            raise ValueError("timestamp")
        expected = hmac.new(key, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not any(k == "v1" and hmac.compare_digest(expected, v) for k, v in pairs):
            raise ValueError("no match")

    return verify


def interleaved(contenders: dict, rounds: int, batch_s: float) -> dict:
    """Best and median ns/op per contender over `rounds` rounds, each round timing every contender once.

    Interleaving gives every contender the same share of whatever else the machine is doing; the
    best filters out the rounds that were interrupted (ratios use it), the median is what a loaded
    receiver sees.
    """
    timers = {name: timeit.Timer(fn) for name, fn in contenders.items()}
    numbers = {}
    for name, timer in timers.items():
        number, elapsed = timer.autorange()
        numbers[name] = max(1, int(number * batch_s / max(elapsed, 1e-9)))
    samples = {name: [] for name in contenders}
    names = list(timers)
    for r in range(rounds):
        for j in range(len(names)):
            name = names[(j + r) % len(names)]
            samples[name].append(timers[name].timeit(numbers[name]) / numbers[name] * 1e9)
    return {name: {"best_ns": min(v), "median_ns": statistics.median(v)} for name, v in samples.items()}


# key -> (label, kind); kind: sig = verify alone, parse = verify + JSON envelope parse.
CONTENDERS = {
    "ours_sig": ("hookverify verify_signature", "sig"),
    "ours_verify": ("hookverify verify (event)", "parse"),
    "hand": ("stdlib hmac by hand", "sig"),
    "hand_parse": ("stdlib hmac by hand + json.loads", "parse"),
    "standardwebhooks": ("standardwebhooks verify (parses)", "parse"),
    "svix": ("svix verify (parses)", "parse"),
    "stripe_ours": ("hookverify verify_signature (stripe scheme)", "sig"),
    "stripe_hand": ("stdlib by hand (stripe scheme)", "sig"),
    "stripe_sig": ("stripe WebhookSignature.verify_header (stripe scheme)", "sig"),
    "stripe_event": ("stripe Webhook.construct_event (stripe scheme, parses)", "parse"),
}


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def main() -> int:
    quick = "--quick" in sys.argv or os.environ.get("BENCH_QUICK") == "1"
    json_out = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    rounds, batch_s = (5, 0.002) if quick else (21, 0.005)
    other = importlib.import_module(sys.argv[sys.argv.index("--compare") + 1]) if "--compare" in sys.argv else None
    now = int(time.time())
    ours = hv.Verifier(scheme="standard", secret=WHSEC)
    ours_stripe = hv.Verifier(scheme="stripe", secret=STRIPE_SECRET)
    by_hand, by_hand_stripe = stdlib_standard(WHSEC), stdlib_stripe(STRIPE_SECRET)
    swh, svx = sw.Webhook(WHSEC), svix.Webhook(WHSEC)
    contenders = dict(CONTENDERS)
    if other is not None:
        tag = f"{other.__name__} {other.__version__}"
        contenders["other_sig"] = (f"{tag} verify_signature (compare)", "sig")
        contenders["other_verify"] = (f"{tag} verify (event, compare)", "parse")
        theirs = other.Verifier(scheme="standard", secret=WHSEC)
    results = {key: {"label": label, "kind": kind, "sizes": {}} for key, (label, kind) in contenders.items()}
    load = [os.getloadavg()]
    for _label, size in SIZES:
        body = envelope(size)
        text = body.decode()
        sig = swh.sign("msg_bench", datetime.fromtimestamp(now, tz=timezone.utc), text)
        headers = {
            "content-type": "application/json",
            "user-agent": "Svix-Webhooks/1.0",
            "webhook-id": "msg_bench",
            "webhook-timestamp": str(now),
            "webhook-signature": sig,
        }
        stripe_header = hv.sign(scheme="stripe", secret=STRIPE_SECRET, body=body, timestamp=now)["Stripe-Signature"]
        stripe_headers = {"content-type": "application/json", "stripe-signature": stripe_header}
        fns = {
            "ours_sig": lambda: ours.verify_signature(body, headers),
            "ours_verify": lambda: ours.verify(body, headers),
            "hand": lambda: by_hand(body, headers),
            "hand_parse": lambda: (by_hand(body, headers), json.loads(body)),
            "standardwebhooks": lambda: swh.verify(text, headers),
            "svix": lambda: svx.verify(text, headers),
            "stripe_ours": lambda: ours_stripe.verify_signature(body, stripe_headers),
            "stripe_hand": lambda: by_hand_stripe(body, stripe_header),
            "stripe_sig": lambda: stripe.WebhookSignature.verify_header(text, stripe_header, STRIPE_SECRET, 300),
            "stripe_event": lambda: stripe.Webhook.construct_event(text, stripe_header, STRIPE_SECRET),
        }
        if other is not None:
            fns["other_sig"] = lambda: theirs.verify_signature(body, headers)
            fns["other_verify"] = lambda: theirs.verify(body, headers)
        for fn in fns.values():  # every contender must accept the request before it is timed
            fn()
        for key, r in interleaved(fns, rounds, batch_s).items():
            results[key]["sizes"][str(size)] = r
        load.append(os.getloadavg())

    best = lambda key, size: results[key]["sizes"][str(size)]["best_ns"]  # noqa: E731
    goals = [
        ("verify_signature >= 3x stdlib by hand @1 KiB", best("hand", 1024) / best("ours_sig", 1024), 3.0),
        ("verify >= 5x standardwebhooks @1 KiB", best("standardwebhooks", 1024) / best("ours_verify", 1024), 5.0),
        ("verify_signature >= 0.95x stdlib (OpenSSL) @1 MiB", best("hand", 1 << 20) / best("ours_sig", 1 << 20), 0.95),
    ]
    if other is not None:  # information only: the compared copy against the same peers, same rounds
        goals += [
            (
                f"compare: {other.__name__} verify_signature vs stdlib @1 KiB",
                best("hand", 1024) / best("other_sig", 1024),
                3.0,
            ),
            (
                f"compare: {other.__name__} verify vs standardwebhooks @1 KiB",
                best("standardwebhooks", 1024) / best("other_verify", 1024),
                5.0,
            ),
            (
                f"compare: {other.__name__} verify_signature vs stdlib @1 MiB",
                best("hand", 1 << 20) / best("other_sig", 1 << 20),
                0.95,
            ),
        ]
    versions = {"python": sys.version.split()[0], "openssl": ssl.OPENSSL_VERSION, "hookverify": hv.__version__}
    for dist in ("standardwebhooks", "svix", "stripe"):
        versions[dist] = version(dist)
    fmt = lambda ns: f"{ns / 1e6:.2f} ms" if ns >= 1e6 else f"{ns / 1e3:.2f} µs" if ns >= 1e3 else f"{ns:.0f} ns"  # noqa: E731
    print(
        f"hookverify {hv.__version__} on CPython {versions['python']}; best ns/op over {rounds} interleaved rounds "
        f"(median in brackets); loadavg {' → '.join(f'{l[0]:.2f}' for l in load)}\n"
    )
    print("| implementation | kind | " + " | ".join(label for label, _ in SIZES) + " |")
    print("|---|---|" + "---:|" * len(SIZES))
    for r in results.values():
        cells = [f"{fmt(r['sizes'][str(s)]['best_ns'])} ({fmt(r['sizes'][str(s)]['median_ns'])})" for _, s in SIZES]
        print(f"| {r['label']} | {r['kind']} | " + " | ".join(cells) + " |")
    print("\n| goal | measured | met |\n|---|---:|---|")
    for name, got, want in goals:
        print(f"| {name} | {got:.2f}x | {'met' if got >= want else 'MISSED'} |")
    if json_out:
        os.makedirs(os.path.dirname(json_out) or ".", exist_ok=True)
        with open(json_out, "w") as f:
            json.dump(
                {
                    "harness": "python",
                    "quick": quick,
                    "rounds": rounds,
                    "batch_s": batch_s,
                    "loadavg": load,
                    "cpus": os.cpu_count(),
                    "versions": versions,
                    "results": results,
                    "goals": [{"name": n, "measured": g, "want": w, "met": g >= w} for n, g, w in goals],
                },
                f,
                indent=1,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
