"""Handshakes answered by the core (tests/vectors/handshakes.json), as the Rust core and Node
(native and wasm) run it, then end to end through Flask on a real werkzeug server: a Meta GET, a
signed Slack url_verification (signature from Python's hmac) and the 405."""

import hashlib
import hmac
import http.client
import json
import pathlib
import threading
import time

import pytest

import hookverify as hv

TABLE = json.loads((pathlib.Path(__file__).resolve().parents[2] / "tests/vectors/handshakes.json").read_text())


def _receiver(config):
    providers = [
        hv.Provider(p.get("name"), scheme=p["scheme"], secret=p["secret"], verify_tokens=p.get("verify_tokens"))
        for p in config["providers"]
    ]
    r = hv.Receiver(providers)

    def never(event):
        raise AssertionError("a handshake runs no handler")

    for route in config["routes"]:
        r.on(route["pattern"], never)
    return r


@pytest.mark.parametrize("case", TABLE["cases"], ids=[c["name"] for c in TABLE["cases"]])
def test_handshake_table(case):
    r = _receiver(case["config"])
    for i, req in enumerate(case["requests"]):
        d = r.handle(req["path"], req["body"].encode(), req["headers"], req["now"], method=req["method"])
        expect = req["expect"]
        assert (d.status, [list(h) for h in d.headers], d.body) == (
            expect["status"],
            expect["headers"],
            expect["body"],
        ), f"{case['name']} [request {i}]"


def test_verify_tokens_are_never_shown():
    p = hv.Provider(scheme="meta", secret="s", verify_tokens=["CANARY-token"])
    assert "CANARY" not in repr(p)
    with pytest.raises(hv.HookverifyError) as e:
        hv.Provider(scheme="meta", secret="s", verify_tokens="CANARY-token")
    assert "CANARY" not in str(e.value)


@pytest.fixture
def flask_server():
    flask = pytest.importorskip("flask")
    from werkzeug.serving import make_server

    from hookverify.flask import WebhookBlueprint

    app = flask.Flask(__name__)
    seen = []
    bp = WebhookBlueprint(
        "hooks",
        __name__,
        url="/webhooks",
        providers=[
            hv.Provider(scheme="meta", secret="meta-app-secret", verify_tokens=["meta-verify-1"]),
            hv.Provider(scheme="slack", secret="slack-signing-secret"),
        ],
        mode="sync",
    )
    bp.on("*", lambda event: seen.append(event.type))  # _Routes.on(pattern, handler)
    app.register_blueprint(bp)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, seen
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _request(port, method, target, headers=None, body=b""):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
    finally:
        conn.close()


def test_flask_answers_handshakes_over_http(flask_server):
    port, seen = flask_server
    status, headers, body = _request(
        port, "GET", "/webhooks?hub.mode=subscribe&hub.challenge=31337&hub.verify_token=meta-verify-1"
    )
    assert (status, body) == (200, "31337")
    assert headers["content-type"].startswith("text/plain") and headers["x-content-type-options"] == "nosniff"
    status, _, body = _request(port, "GET", "/webhooks?hub.mode=subscribe&hub.challenge=31337&hub.verify_token=nope")
    assert status == 403 and "31337" not in body

    ts = str(int(time.time()))
    payload = b'{"token":"t","challenge":"slack-challenge-42","type":"url_verification"}'
    sig = "v0=" + hmac.new(b"slack-signing-secret", b"v0:" + ts.encode() + b":" + payload, hashlib.sha256).hexdigest()
    status, _, body = _request(
        port, "POST", "/webhooks", {"X-Slack-Signature": sig, "X-Slack-Request-Timestamp": ts}, payload
    )
    assert (status, json.loads(body)) == (200, {"challenge": "slack-challenge-42"})
    status, _, body = _request(
        port, "POST", "/webhooks", {"X-Slack-Signature": "v0=" + "0" * 64, "X-Slack-Request-Timestamp": ts}, payload
    )
    assert status == 401 and "slack-challenge-42" not in body

    status, headers, body = _request(port, "GET", "/webhooks")
    assert status == 405 and headers["allow"] == "POST" and json.loads(body)["error"]["code"] == "method_not_allowed"
    assert seen == []
