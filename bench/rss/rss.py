"""Peak RSS of verifying one 25 MiB body N times from Python: ``rss.py baseline|sig|event|receiver N``.

``receiver`` runs a Receiver's whole ``handle`` (verify, parse, route, MemoryStore claim, a handler
that does not read the payload, complete) with a fresh signed message id each time (signed before
measuring; the dedup key never holds the path), so no delivery is a duplicate.

The body (``bytes``) is allocated once and signed with a streaming stdlib HMAC (no copy);
``baseline`` does everything but the verify calls. Prints one JSON line with the peak RSS
(``ru_maxrss``, KiB on Linux).
"""

import base64
import hashlib
import hmac
import json
import resource
import sys
import time

import hookverify as hv

SIZE = 25 * 1024 * 1024
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "baseline"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    head = b'{"type":"user.created","timestamp":"2023-11-14T22:13:20Z","data":{"pad":"'
    tail = b'"}}'
    body = head + b"x" * (SIZE - len(head) - len(tail)) + tail
    ts = str(int(time.time()))

    def signed(msg_id: str) -> dict:
        mac = hmac.new(base64.b64decode(SECRET[len("whsec_"):]), f"{msg_id}.{ts}.".encode(), hashlib.sha256)
        mac.update(body)
        return {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": "v1," + base64.b64encode(mac.digest()).decode()}

    headers = signed("msg_rss")
    deliveries = [signed(f"msg_rss_{i}") for i in range(n)] if mode == "receiver" else []
    verifier = hv.Verifier(scheme="standard", secret=SECRET, max_body_bytes=32 * 1024 * 1024)
    receiver = hv.Receiver(scheme="standard", secret=SECRET, max_body_bytes=32 * 1024 * 1024, mode="sync")
    receiver.on("user.created", lambda event: None)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for i in range(n):
        if mode == "sig":
            verifier.verify_signature(body, headers)
        elif mode == "event":
            verifier.verify(body, headers)
        elif mode == "receiver":
            answer = receiver.handle("/hooks", body, deliveries[i])
            if answer.status != 200:
                raise SystemExit(f"not handled: {answer.status} {answer.body}")
    print(json.dumps({"binding": "python", "mode": mode, "n": n, "body_bytes": SIZE, "hwm_before_kib": before,
                      "hwm_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == "__main__":
    main()
