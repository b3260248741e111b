"""The body cap holds while a real server reads a body: a chunked POST far over the cap (no
Content-Length, so nothing to refuse up front) is cut off with the core's 413 ``payload_too_large``
just past the cap, and the server's peak RSS grows by about the cap, not by the body.

Each server runs in its own process (werkzeug's threaded server, uvicorn) on a free loopback port,
so its VmHWM (peak resident set) is its own; it is stopped by its pid."""

import hashlib
import hmac
import json
import select
import socket
import subprocess
import sys
import time

import pytest
from conftest import free_port, wait_for_port

import hookverify as hv

SECRET = "whsec_body_cap_servers"
MIB = 1 << 20
BODY_MIB = 200  # far over the default 25 MiB cap

FLASK_APP = """
import sys
from flask import Flask
from werkzeug.serving import make_server
from hookverify.flask import webhook

app = Flask(__name__)

@app.post("/webhooks")
@webhook(scheme="stripe", secret=sys.argv[2], mode="sync")
def hooks(event):
    pass

make_server("127.0.0.1", int(sys.argv[1]), app, threaded=True).serve_forever()
"""

FASTAPI_APP = """
import sys
import uvicorn
from fastapi import FastAPI
from hookverify.fastapi import Webhook

hook = Webhook(scheme="stripe", secret=sys.argv[2], mode="sync")
hook.on("*", lambda event: None)
app = FastAPI()
app.add_api_route("/webhooks", hook.endpoint, methods=["POST"])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def vm_hwm(pid: int) -> int:
    """The process's peak resident set size, in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def signed_delivery(event_id: str):
    ts = int(time.time())
    body = json.dumps({"id": event_id, "type": "invoice.paid", "created": ts, "data": {}}).encode()
    sig = hmac.new(SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={sig}", body


def read_response(sock: socket.socket, deadline: float) -> bytes:
    """One HTTP response (headers and a Content-Length body) from the socket."""
    data = b""
    while time.monotonic() < deadline:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            if len(rest) >= length:
                return data
        ready, _, _ = select.select([sock], [], [], 0.5)
        if ready:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
    return data


def parse(response: bytes):
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode("latin-1"), json.loads(body) if body else None


def post_chunked(port: int, signature: str, chunks, timeout: float = 15.0):
    """POSTs with Transfer-Encoding: chunked, writing chunks only while the server has not answered;
    returns (response bytes, body bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setblocking(False)
    deadline = time.monotonic() + timeout
    head = (
        b"POST /webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Stripe-Signature: " + signature.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    pending, sent = memoryview(head), 0
    try:
        for data in chunks:
            pending = memoryview(pending.tobytes() + b"%x\r\n" % len(data) + data + b"\r\n")
            answered = False
            while pending and time.monotonic() < deadline:
                readable, writable, _ = select.select([sock], [sock], [], 1.0)
                if readable:
                    answered = True  # the server answered (or closed) before the whole body arrived
                    break
                if writable:
                    try:
                        n = sock.send(pending[: 4 * MIB])
                    except (BrokenPipeError, ConnectionResetError):
                        answered = True
                        break
                    pending, sent = pending[n:], sent + n
            if answered:
                break
        else:
            sock.setblocking(True)
            sock.sendall(pending.tobytes() + b"0\r\n\r\n")
            sock.setblocking(False)
        return read_response(sock, deadline), sent
    finally:
        sock.close()


@pytest.fixture(params=["werkzeug", "uvicorn"])
def server(request, tmp_path):
    script, log = tmp_path / "app.py", tmp_path / "server.log"
    script.write_text(FLASK_APP if request.param == "werkzeug" else FASTAPI_APP)
    port = free_port()
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, str(script), str(port), SECRET], stdout=subprocess.DEVNULL, stderr=err)
    try:
        wait_for_port(port, timeout=20)
        yield request.param, port, proc.pid
    finally:
        proc.kill()
        proc.wait(timeout=10)
        sys.stderr.write(log.read_text(errors="replace")[-2000:])


def test_chunked_body_far_over_the_cap_is_cut_off_early(server):
    name, port, pid = server
    cap = hv.DEFAULT_MAX_BODY_BYTES
    # A valid chunked delivery works (and loads everything before the baseline is taken).
    signature, body = signed_delivery("evt_small")
    response, _ = post_chunked(port, signature, [body[:10], body[10:]])
    status, head, js = parse(response)
    assert status == 200 and js == {"id": "evt_small", "ok": True}, (name, head, js)
    baseline = vm_hwm(pid)

    started = time.monotonic()
    chunk = b"a" * MIB
    response, sent = post_chunked(port, "t=1,v1=" + "0" * 64, (chunk for _ in range(BODY_MIB)))
    elapsed = time.monotonic() - started
    status, head, js = parse(response)
    assert status == 413, (name, head, js)
    assert js["error"]["code"] == "payload_too_large", js
    assert f"the limit is {cap} bytes" in js["error"]["message"], js
    grown = vm_hwm(pid) - baseline
    print(f"{name}: sent {sent / MIB:.1f} MiB, peak RSS +{grown / MIB:.1f} MiB, {elapsed:.2f} s")
    assert sent < cap + 16 * MIB, f"{name}: the server read {sent / MIB:.0f} MiB before answering"
    assert grown < cap + 64 * MIB, f"{name}: peak RSS grew by {grown / MIB:.0f} MiB for a {BODY_MIB} MiB body"
    assert elapsed < 15, elapsed


def test_in_process_chunked_bodies_keep_the_body_readable_and_the_cap():
    """The same reads through the frameworks' test clients (no Content-Length): a body within the
    cap is verified and stays readable by the view/endpoint; one over a small cap is the core's 413."""
    import io

    from fastapi import Depends, FastAPI, Request
    from fastapi.testclient import TestClient
    from flask import Flask
    from flask import request as flask_request

    from hookverify.fastapi import Webhook, install
    from hookverify.flask import webhook

    signature, body = signed_delivery("evt_chunked")
    big = b"x" * 5000
    seen = []

    flask_app = Flask(__name__)

    @flask_app.post("/webhooks")
    @webhook(scheme="stripe", secret=SECRET, mode="sync", max_body_bytes=4096)
    def view(event):
        seen.append(("flask", event.id, flask_request.get_data()))

    client = flask_app.test_client()
    for data, status in ((body, 200), (big, 413)):
        r = client.post("/webhooks", input_stream=io.BytesIO(data), headers={"Stripe-Signature": signature})
        assert r.status_code == status, r.get_data()
        if status == 413:
            assert r.get_json()["error"]["code"] == "payload_too_large"

    hook = Webhook(scheme="stripe", secret=SECRET, max_body_bytes=4096)
    api = FastAPI()
    install(api)

    @api.post("/webhooks")
    async def receive(request: Request, event: hv.Event = Depends(hook)):
        seen.append(("fastapi", event.id, await request.body()))

    tc = TestClient(api)
    for data, status in ((body, 200), (big, 413)):
        r = tc.post("/webhooks", content=iter([data[:7], data[7:]]), headers={"Stripe-Signature": signature})
        assert r.status_code == status, r.text
        if status == 413:
            assert r.json()["error"]["code"] == "payload_too_large"
    assert seen == [("flask", "evt_chunked", body), ("fastapi", "evt_chunked", body)]


def test_absurd_declared_lengths_are_a_plain_413():
    """A Content-Length beyond any integer the core takes is still the core's 413, not a crash."""
    r = hv.Receiver(scheme="stripe", secret=SECRET)
    for length in (r.max_body_bytes + 1, 2**63, 10**30):
        d = r.too_large(length)
        assert d is not None and d.status == 413 and d.error.code == "payload_too_large", (length, d)
