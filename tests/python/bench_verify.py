"""Side-by-side verification benchmark (run by scripts/bench-python.sh against the installed wheel).

Every contender checks the same valid request. Standard Webhooks scheme unless noted; Stripe has its
own rows. ns/op is the minimum over interleaved rounds; ratio = baseline ns / ours ns (higher is better).
"""

import base64
import hashlib
import hmac
import json
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
    key = base64.b64decode(secret[len("whsec_"):])

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


def interleaved_ns(contenders: dict, rounds: int = 30, batch_s: float = 0.002) -> dict:
    """Min ns/op per contender over `rounds` rounds, each round timing every contender once.

    Interleaving gives every contender the same share of whatever else the machine is doing,
    and the minimum filters out the rounds that were interrupted.
    """
    timers = {name: timeit.Timer(fn) for name, fn in contenders.items()}
    numbers = {}
    for name, timer in timers.items():
        number, elapsed = timer.autorange()
        numbers[name] = max(1, int(number * batch_s / max(elapsed, 1e-9)))
    best = {name: float("inf") for name in contenders}
    for _ in range(rounds):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(numbers[name]) / numbers[name] * 1e9)
    return best


def main() -> int:
    now = int(time.time())
    ours = hv.Verifier(scheme="standard", secret=WHSEC)
    ours_stripe = hv.Verifier(scheme="stripe", secret=STRIPE_SECRET)
    by_hand, by_hand_stripe = stdlib_standard(WHSEC), stdlib_stripe(STRIPE_SECRET)
    swh, svx = sw.Webhook(WHSEC), svix.Webhook(WHSEC)
    rows = []
    for label, size in SIZES:
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
        # Every contender must accept the request before it is timed.
        ours.verify_signature(body, headers)
        ours.verify(body, headers)
        by_hand(body, headers)
        swh.verify(text, headers)
        svx.verify(text, headers)
        ours_stripe.verify_signature(body, stripe_headers)
        by_hand_stripe(body, stripe_header)
        stripe.WebhookSignature.verify_header(text, stripe_header, STRIPE_SECRET, 300)

        t = interleaved_ns({
            "ours verify_signature": lambda: ours.verify_signature(body, headers),
            "ours verify (+envelope)": lambda: ours.verify(body, headers),
            "stdlib hmac by hand": lambda: by_hand(body, headers),
            "standardwebhooks": lambda: swh.verify(text, headers),
            "svix": lambda: svx.verify(text, headers),
            "stripe: ours": lambda: ours_stripe.verify_signature(body, stripe_headers),
            "stripe: stdlib by hand": lambda: by_hand_stripe(body, stripe_header),
            "stripe: stripe-python": lambda: stripe.WebhookSignature.verify_header(text, stripe_header, STRIPE_SECRET, 300),
        })
        rows.append((label, t))

    print(f"hookverify {hv.__version__} on CPython {sys.version.split()[0]}; ns/op (min over 30 interleaved rounds); ratio = other / ours")
    for label, t in rows:
        sig, full = t["ours verify_signature"], t["ours verify (+envelope)"]
        sst = t["stripe: ours"]
        print(f"\n== {label}")
        print(f"  {'contender':28} {'ns/op':>12} {'ratio':>8}")
        for name, ns in t.items():
            base = sst if name.startswith("stripe") else (full if name in ("standardwebhooks", "svix") else sig)
            ratio = "" if name in ("ours verify_signature", "stripe: ours") else f"{ns / base:7.2f}x"
            print(f"  {name:28} {ns:12,.0f} {ratio:>8}")
    print("\nratios: stdlib vs ours verify_signature; standardwebhooks/svix (which parse the JSON) vs ours verify;")
    print("stripe rows vs ours on the stripe scheme.")
    goals = {label: t for label, t in rows}
    checks = [
        ("1 KiB: >= 3x stdlib", goals["1 KiB"]["stdlib hmac by hand"] / goals["1 KiB"]["ours verify_signature"], 3.0),
        ("1 KiB: >= 5x standardwebhooks (verify)", goals["1 KiB"]["standardwebhooks"] / goals["1 KiB"]["ours verify (+envelope)"], 5.0),
        ("1 KiB: >= 5x standardwebhooks (sig)", goals["1 KiB"]["standardwebhooks"] / goals["1 KiB"]["ours verify_signature"], 5.0),
        ("1 MiB: >= 0.95x stdlib", goals["1 MiB"]["stdlib hmac by hand"] / goals["1 MiB"]["ours verify_signature"], 0.95),
    ]
    print("\ngoals:")
    for name, got, want in checks:
        print(f"  {name:40} {got:6.2f}x  {'met' if got >= want else 'NOT met'}")
    print(json.dumps({label: {k: round(v) for k, v in t.items()} for label, t in rows}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
