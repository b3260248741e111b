"""Issue 16, items 6, 8, 9 and 13, for Python.

- A secret of the wrong type never shows in an error (str, repr, details, traceback), for every
  option that takes one.
- Whitespace-only secrets are ``invalid_secret``.
- 401/503 answers do not disclose the number of live secrets, the other providers' header names,
  or the store's error text (a closed port, and a real redis-server with a wrong password).
- The same raw request (joined duplicate headers, two header lines, non-ASCII header bytes) gets
  the same status and code from Flask (werkzeug's server), FastAPI (uvicorn) and ``hookverify
  listen``; tests/node/strict.test.mjs sends the same requests to Express.

Signatures come from Python's hmac, never from hookverify's signer.
"""

import hashlib
import hmac
import json
import shutil
import socket
import subprocess
import threading
import time
import traceback
from pathlib import Path

import flask
import pytest
import uvicorn
from conftest import WHSEC, free_port, std_headers, wait_for_port
from werkzeug.serving import make_server

import hookverify as hv
from hookverify.fastapi import Webhook
from hookverify.flask import WebhookBlueprint, respond, webhook

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "target" / "release" / "hookverify"
CANARY = "whsec_QZcanarySECRET0123456789"
CANARY_NUM = 987654321987
LEAKS = ("QZcanarySECRET", str(CANARY_NUM))
STRIPE_SECRET = "whsec_stripe_strict_secret"

BAD_SECRETS = [
    {"secrets": CANARY},
    {"secrets": CANARY_NUM},
    {"secrets": {"key": CANARY}},
    {"secrets": [CANARY_NUM, True]},
    {"secrets": [[CANARY]]},
    {"secrets": [{"v": CANARY}]},
    {"secret": CANARY_NUM},
    {"secret": [CANARY]},
    {"secret": {"v": CANARY}},
    {"secret": CANARY_NUM + 0.5},
    {"secret": bytearray(CANARY.encode())},
]


def assert_no_canary(fn, what):
    with pytest.raises(hv.HookverifyError) as info:
        fn()
    err = info.value
    shown = " | ".join(
        [str(err), repr(err), err.message, json.dumps(err.details), "".join(traceback.format_exception(err))]
    )
    for leak in LEAKS:
        assert leak not in shown, f"{what}: the error shows the value: {shown}"
    return err


@pytest.mark.parametrize("bad", BAD_SECRETS, ids=lambda b: repr(b)[:40])
def test_a_mis_typed_secret_never_appears_in_an_error(bad):
    assert_no_canary(lambda: hv.Verifier(scheme="stripe", **bad), "Verifier")
    assert_no_canary(lambda: hv.Provider("p", scheme="stripe", **bad), "Provider")
    assert_no_canary(lambda: hv.Receiver(scheme="stripe", **bad), "Receiver")
    assert_no_canary(lambda: webhook(scheme="stripe", **bad)(lambda event: None), "flask webhook")
    assert_no_canary(lambda: WebhookBlueprint("bp", __name__, scheme="stripe", **bad), "flask WebhookBlueprint")
    assert_no_canary(lambda: Webhook(scheme="stripe", **bad), "fastapi Webhook")
    # sign takes one secret, diagnose a list: the same value where it is the wrong type there.
    value = bad.get("secret", bad.get("secrets"))
    if not isinstance(value, str):
        assert_no_canary(lambda: hv.sign(scheme="github", secret=value, body=b"x"), "sign")
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        assert_no_canary(lambda: hv.diagnose(b"x", {}, secrets=value), "diagnose")


@pytest.mark.parametrize("blank", [" ", "   ", "\t", "\n", "\r\n", b" ", b"\n"], ids=repr)
def test_whitespace_only_secrets_are_invalid_secret(blank):
    for scheme in ("github", "stripe", "slack", "shopify"):
        with pytest.raises(hv.HookverifyError) as info:
            hv.Verifier(scheme=scheme, secret=blank)
        assert info.value.code == "invalid_secret"
        with pytest.raises(hv.HookverifyError) as info:
            hv.Verifier(scheme=scheme, secrets=["real", blank])
        assert info.value.code == "invalid_secret"
        with pytest.raises(hv.HookverifyError) as info:
            hv.sign(scheme=scheme, secret=blank, body=b"x")
        assert info.value.code == "invalid_secret"
    with pytest.raises(hv.HookverifyError) as info:
        hv.Receiver(scheme="github", secret=blank)
    assert info.value.code == "invalid_secret"
    # Around a real secret, whitespace is part of the key (no trimming).
    hv.Verifier(scheme="github", secret=" real\n")


# ---------------------------------------------------------------- what unauthenticated answers say


def stripe_delivery(event_id, secret=STRIPE_SECRET, ts=None):
    ts = int(time.time()) if ts is None else ts
    body = json.dumps({"id": event_id, "type": "invoice.paid", "created": ts, "data": {"object": {}}}).encode()
    v1 = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={ts},v1={v1}"


def test_a_401_says_neither_the_secret_count_nor_the_other_providers():
    receiver = hv.Receiver(
        [
            hv.Provider("stripe", scheme="stripe", secrets=[STRIPE_SECRET, "whsec_second_live_secret"]),
            hv.Provider("github", scheme="github", secret="gh-secret"),
        ]
    )
    body, header = stripe_delivery("evt_401", secret="whsec_not_the_secret")
    d = receiver.begin("/hooks", body, {"Stripe-Signature": header})
    assert d.status == 401 and d.json()["error"]["code"] == "no_matching_signature"
    for word in ("secret(s)", "against", '"secrets"'):
        assert word not in d.body, d.body
    d = receiver.begin("/hooks", body, {"X-Other": "1"})
    assert d.status == 401 and d.json()["error"]["code"] == "missing_header"
    for name in ("stripe-signature", "x-hub-signature"):
        assert name not in d.body.lower(), d.body
    # The verifier's own error, for the operator's logs, keeps the count.
    with pytest.raises(hv.HookverifyError) as info:
        hv.Verifier(scheme="stripe", secrets=[STRIPE_SECRET, "whsec_second_live_secret"]).verify(
            body, {"Stripe-Signature": header}
        )
    assert info.value.details["secrets"] == 2 and "2 secret(s)" in info.value.message


def assert_public_503(store):
    receiver = hv.Receiver(scheme="stripe", secret=STRIPE_SECRET, store=store, mode="sync")
    receiver.on("*", lambda event: None)
    body, header = stripe_delivery("evt_503")
    d = receiver.handle("/hooks", body, {"Stripe-Signature": header})
    assert d.status == 503 and d.json()["error"]["code"] == "store_unavailable", d.body
    message = d.json()["error"]["message"]
    for word in ("refused", "connect", "os error", "Password", "Authentication", "WRONGPASS", "redis", "127.0.0.1"):
        assert word.lower() not in message.lower(), message


def test_a_503_from_a_closed_port_does_not_carry_the_redis_error():
    assert_public_503(hv.RedisStore(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5))


def test_a_503_from_a_wrong_password_does_not_carry_the_redis_error():
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server is not installed: run scripts/deps-apt.sh")
    port = free_port()
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--requirepass",
            "QZrightPASS",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        assert_public_503(hv.RedisStore(f"redis://:QZwrongPASS@127.0.0.1:{port}/0", timeout=1.0))
    finally:
        proc.terminate()
        proc.wait(10)


# ---------------------------------------------------------------- one verdict in every runtime


def raw_post(port, path, header_lines, body):
    """POSTs with the header lines' bytes exactly as given; returns (status, parsed JSON body)."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    ).encode()
    head += b"".join(line + b"\r\n" for line in header_lines) + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head + body)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    status = int(raw.split(b" ", 2)[1])
    payload = raw.split(b"\r\n\r\n", 1)[1]
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, payload


def parity_cases():
    """The requests of tests/node/strict.test.mjs, signed with hmac: (scheme, what, body, lines, status, code)."""
    body = json.dumps({"type": "user.created", "timestamp": "2023-11-14T22:13:20Z", "data": {}}).encode()
    h = std_headers(body, "msg_parity_1")
    good = h["webhook-signature"]

    def sw(*sig_lines):
        return [
            f"webhook-id: {h['webhook-id']}".encode(),
            f"webhook-timestamp: {h['webhook-timestamp']}".encode(),
            *sig_lines,
        ]

    st_body, st_good = stripe_delivery("evt_parity_1")
    t = st_good.split(",")[0]
    junk = "de" * 32
    return [
        ("standard", "good", body, sw(f"webhook-signature: {good}".encode()), 202, None),
        (
            "standard",
            "joined, junk first",
            body,
            sw(f"webhook-signature: v1,AAAA, {good}".encode()),
            401,
            "malformed_header",
        ),
        (
            "standard",
            "joined, junk last",
            body,
            sw(f"webhook-signature: {good}, v1,AAAA".encode()),
            401,
            "malformed_header",
        ),
        (
            "standard",
            "two lines",
            body,
            sw(b"webhook-signature: v1,AAAA", f"webhook-signature: {good}".encode()),
            401,
            "malformed_header",
        ),
        (
            "standard",
            "non-ASCII bytes",
            body,
            sw(f"webhook-signature: {good} v1,".encode() + b"\xff\xfe"),
            401,
            "malformed_header",
        ),
        (
            "standard",
            "UTF-8 bytes",
            body,
            sw(f"webhook-signature: {good} v1,caf\u00e9".encode()),
            401,
            "malformed_header",
        ),
        ("stripe", "good", st_body, [f"stripe-signature: {st_good}".encode()], 202, None),
        ("stripe", "joined v1", st_body, [f"stripe-signature: {st_good}, v1={junk}".encode()], 401, "malformed_header"),
        (
            "stripe",
            "joined t + v1",
            st_body,
            [f"stripe-signature: {st_good}, {t},v1={junk}".encode()],
            401,
            "malformed_header",
        ),
        (
            "stripe",
            "two lines",
            st_body,
            [f"stripe-signature: {st_good}".encode(), f"stripe-signature: {t},v1={junk}".encode()],
            401,
            "malformed_header",
        ),
        (
            "stripe",
            "non-ASCII bytes",
            st_body,
            [f"stripe-signature: {st_good},v1=".encode() + b"\xff\xfe"],
            401,
            "malformed_header",
        ),
    ]


def flask_app():
    app = flask.Flask("strict")
    receivers = {
        "standard": hv.Receiver(scheme="standard", secret=WHSEC),
        "stripe": hv.Receiver(scheme="stripe", secret=STRIPE_SECRET),
    }
    for r in receivers.values():
        r.on("*", lambda event: None)
    app.add_url_rule("/standard", "standard", lambda: respond(receivers["standard"]), methods=["POST"])
    app.add_url_rule("/stripe", "stripe", lambda: respond(receivers["stripe"]), methods=["POST"])
    return app


def fastapi_app():
    from fastapi import FastAPI

    app = FastAPI()
    for scheme, secret in (("standard", WHSEC), ("stripe", STRIPE_SECRET)):
        hook = Webhook(scheme=scheme, secret=secret, mode="async")
        hook.on("*", lambda event: None)
        app.add_api_route(f"/{scheme}", hook.endpoint, methods=["POST"])
    return app


def check_parity(runtime, port_of):
    seen = []
    for scheme, what, body, lines, status, code in parity_cases():
        got_status, got = raw_post(port_of(scheme), f"/{scheme}", lines, body)
        got_code = got["error"]["code"] if isinstance(got, dict) and "error" in got else None
        seen.append((scheme, what, got_status, got_code))
        assert (got_status, got_code) == (status, code), f"{runtime}: {scheme} {what}: {got}"
    return seen


def test_flask_on_werkzeugs_server_gives_the_common_verdicts():
    server = make_server("127.0.0.1", 0, flask_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        check_parity("flask", lambda scheme: server.server_port)
    finally:
        server.shutdown()
        thread.join(10)


def test_fastapi_on_uvicorn_gives_the_common_verdicts():
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(fastapi_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        check_parity("fastapi", lambda scheme: port)
    finally:
        server.should_exit = True
        thread.join(10)


def test_hookverify_listen_gives_the_common_verdicts():
    assert CLI.exists(), "build the CLI: cargo build --release -p hookverify-cli (scripts/test-python.sh does)"
    procs, ports = [], {}
    try:
        for scheme, secret in (("standard", WHSEC), ("stripe", STRIPE_SECRET)):
            port = free_port()
            cmd = [
                str(CLI),
                "listen",
                "--port",
                str(port),
                "--scheme",
                scheme,
                "--secret",
                secret,
                "--path",
                f"/{scheme}",
            ]
            procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_for_port(port)
            ports[scheme] = port
        check_parity("listen", ports.__getitem__)
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
