"""Writes N pre-signed Standard Webhooks deliveries for deliveries.lua, signed with the stdlib hmac
(not with hookverify): `signed_requests.py OUT N [BODY_BYTES]`."""

import base64
import hashlib
import hmac
import sys
import time

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def main() -> None:
    out, n = sys.argv[1], int(sys.argv[2])
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
    head = b'{"type":"user.created","timestamp":"2023-11-14T22:13:20Z","data":{"pad":"'
    tail = b'"}}'
    body = head + b"x" * (size - len(head) - len(tail)) + tail
    ts = str(int(time.time()))
    key = hmac.new(base64.b64decode(SECRET[len("whsec_"):]), digestmod=hashlib.sha256)
    with open(out, "w") as f:
        f.write(body.decode() + "\n" + ts + "\n")
        for i in range(n):
            msg_id = f"msg_{ts}_{i:08d}"
            mac = key.copy()
            mac.update(f"{msg_id}.{ts}.".encode())
            mac.update(body)
            f.write(f"{msg_id} {base64.b64encode(mac.digest()).decode()}\n")


if __name__ == "__main__":
    main()
