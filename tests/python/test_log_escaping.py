"""Log injection: request-derived text reaches the "hookverify" logger with its control characters
escaped, never raw (an ANSI escape could repaint or forge terminal/log lines).

A header value cannot carry one any more (the core refuses control bytes in every header it reads,
tested first below), so the ids with control characters come from JSON bodies, where `\u001b`
is valid text."""

import asyncio
import hashlib
import hmac
import json
import logging
import time

from conftest import GH_SECRET, gh_headers
from flask import Flask

import hookverify as hv
from hookverify.fastapi import Webhook
from hookverify.flask import WebhookBlueprint

BODY = b'{"action":"opened","issue":{"number":1}}'
EVIL_ID = "\x1b[2J\x1b[32mINFO all good\x1b[0m\x7f"
# A custom scheme whose event id is the body's `/id` (the default envelope), signed over the body.
GENERIC = '{"name":"generic","signature_header":"X-Webhook-Signature"}'
GENERIC_SECRET = "log-escaping-secret"


def _generic(event_id):
    body = json.dumps({"id": event_id, "type": "a.b", "created_at": 1, "data": {}}).encode()
    sig = hmac.new(GENERIC_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Webhook-Signature": sig}


def _texts(caplog):
    return [caplog.handler.format(record) for record in caplog.records if record.name == "hookverify"]


def _assert_escaped(texts, escaped="\\x1b[2J\\x1b[32mINFO all good\\x1b[0m\\x7f"):
    assert texts, "the failing handler was logged"
    for text in texts:
        assert not any(ch in text for ch in "\x1b\r\x85\x9b\x7f"), repr(text)
    head = texts[0].split("\n", 1)[0]
    assert escaped in head, head


def test_a_control_byte_in_an_unsigned_header_is_refused_before_any_log_line(caplog):
    r = hv.Receiver(scheme="github", secret=GH_SECRET, mode="sync")
    r.on("*", lambda event: None)
    with caplog.at_level(logging.INFO, logger="hookverify"):
        answer = r.handle("/hooks", BODY, gh_headers(BODY, EVIL_ID))
    assert answer.status == 401 and "malformed_header" in answer.body, answer.body
    for text in _texts(caplog):
        assert "\x1b" not in text, repr(text)


def test_flask_failing_handler_logs_the_event_id_escaped(caplog):
    app = Flask(__name__)
    bp = WebhookBlueprint("hooks", __name__, url="/hooks", scheme=GENERIC, secret=GENERIC_SECRET, mode="sync")

    @bp.on("a.b")
    def fail(event):
        raise RuntimeError("boom")

    app.register_blueprint(bp)
    body, headers = _generic(EVIL_ID)
    with caplog.at_level(logging.INFO, logger="hookverify"):
        r = app.test_client().post("/hooks", data=body, headers=headers)
    assert r.status_code == 500, r.get_data()
    _assert_escaped(_texts(caplog))


def test_receiver_async_and_fastapi_dependency_logs_are_escaped(caplog):
    r = hv.Receiver(scheme=GENERIC, secret=GENERIC_SECRET)

    async def fail(event):
        raise ValueError("boom")

    r.on("*", fail)
    body, headers = _generic(EVIL_ID)
    with caplog.at_level(logging.INFO, logger="hookverify"):
        step = r.begin("/hooks", body, headers)
        assert isinstance(step, hv.Delivery)
        assert asyncio.run(r.run_async(step)) is False
    _assert_escaped(_texts(caplog))

    caplog.clear()
    from fastapi import Depends, FastAPI
    from fastapi.testclient import TestClient

    hook = Webhook(scheme=GENERIC, secret=GENERIC_SECRET)
    app = FastAPI()

    @app.post("/hooks")
    async def receive(event: hv.Event = Depends(hook)):
        raise RuntimeError("endpoint failed")

    body, headers = _generic(EVIL_ID + "-2")
    with caplog.at_level(logging.INFO, logger="hookverify"):
        resp = TestClient(app).post("/hooks", content=body, headers=headers)
    assert resp.status_code == 500, resp.text
    _assert_escaped(_texts(caplog))


def test_signed_body_id_with_controls_is_escaped_too(caplog):
    # A Stripe event id comes from the signed JSON body, where any control character can be written.
    secret = "whsec_log_escaping"
    body = json.dumps(
        {"id": "evt_\x1b]0;pwned\x07\r\nERROR forged\x85\x9b", "type": "a.b", "created": 1, "data": {}}
    ).encode()
    ts = int(time.time())
    sig = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    r = hv.Receiver(scheme="stripe", secret=secret, mode="sync")
    r.on("*", lambda event: 1 / 0)
    with caplog.at_level(logging.INFO, logger="hookverify"):
        assert r.handle("/hooks", body, {"Stripe-Signature": f"t={ts},v1={sig}"}).status == 500
    texts = _texts(caplog)
    for text in texts:
        assert "\n" not in text.split("\nTraceback", 1)[0], repr(text)
    _assert_escaped(texts, "evt_\\x1b]0;pwned\\x07\\x0d\\x0aERROR forged\\x85\\x9b")
