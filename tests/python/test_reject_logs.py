"""Issue 16, item 13: a rejected delivery's HTTP answer carries only the public message, and the
``hookverify`` logger gets one WARNING line per rejected delivery with the rest — code, status,
provider, how many secrets were tried, the Redis error — never a secret or the Redis password.
Signatures are computed with Python's hmac, never with hookverify's signer."""

import hashlib
import hmac
import json
import logging
import shutil
import subprocess

import pytest
from conftest import free_port, wait_for_port
from flask import Flask

import hookverify as hv
from hookverify.flask import WebhookBlueprint

SECRET = "QZpyCANARYsecret-41d0"
SECOND = "QZpyCANARYsecond-77aa"
PASSWORD = "QZpyRedisCANARYpass-19c3"
BODY = b'{"action":"opened","issue":{"number":1}}'
PUBLIC_503 = {
    "error": {
        "code": "store_unavailable",
        "message": "dedup store unavailable: the delivery was not processed; retry later",
    }
}


def gh(body: bytes, key: str, delivery: str = "d-1") -> dict:
    sig = "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": sig, "X-GitHub-Event": "issues", "X-GitHub-Delivery": delivery}


def lines(caplog) -> list:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "hookverify"]


def assert_no_canary(text: str) -> None:
    for canary in (SECRET, SECOND, PASSWORD, "QZpy"):
        assert canary not in text, text


def test_receiver_logs_a_401_with_the_secret_count_the_body_leaves_out(caplog):
    r = hv.Receiver(scheme="github", secrets=[SECRET, SECOND], mode="sync")
    r.on("*", lambda event: None)
    with caplog.at_level(logging.INFO, logger="hookverify"):
        d = r.handle("/hooks", BODY, gh(BODY, "not-a-live-secret"))
    assert d.status == 401 and d.json()["error"]["code"] == "no_matching_signature"
    assert "secret(s)" not in d.body and "against" not in d.body, d.body
    got = lines(caplog)
    assert len(got) == 1, got
    level, text = got[0]
    assert level == logging.WARNING
    assert text.startswith("hookverify: rejected delivery: code=no_matching_signature status=401 provider=github: "), (
        text
    )
    assert "checked against 2 secret(s)" in text, text
    assert_no_canary(text)
    # A handled delivery and its duplicate log nothing.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="hookverify"):
        assert r.handle("/hooks", BODY, gh(BODY, SECOND)).status == 200
        assert r.handle("/hooks", BODY, gh(BODY, SECOND)).status == 200
    assert lines(caplog) == []


def test_too_large_and_overloaded_answers_are_logged_too(caplog):
    r = hv.Receiver(scheme="github", secret=SECRET, max_body_bytes=64, max_queue=1)
    r.on("*", lambda event: None)
    with caplog.at_level(logging.INFO, logger="hookverify"):
        assert r.too_large(10_000).status == 413
        assert r.reserve()
        assert r.handle("/hooks", BODY, gh(BODY, SECRET)).status == 503
        r.unreserve()
    texts = [text for _, text in lines(caplog)]
    assert texts[0].startswith(
        "hookverify: rejected delivery: code=payload_too_large status=413: payload too large: 10000 bytes"
    ), texts
    assert texts[1].startswith("hookverify: rejected delivery: code=overloaded status=503: "), texts
    assert len(texts) == 2, texts


def test_log_safe_is_the_cores_rule():
    assert hv._native.log_safe("a\x1b[31m\r\n\x85\u2028é") == "a\\x1b[31m\\x0d\\x0a\\x85\\u2028é"
    from hookverify._receiver import _safe

    assert _safe(12) == "12" and _safe("x\x00y") == "x\\x00y"


@pytest.fixture
def locked_redis():
    """redis-server with ``--requirepass`` on a free loopback port, stopped by its pid."""
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
            PASSWORD,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("case", ["wrong-password", "closed-port"])
def test_flask_503_body_has_no_redis_text_while_the_log_has_it_without_the_password(caplog, locked_redis, case):
    if case == "wrong-password":
        url, detail = f"redis://:{PASSWORD}x@127.0.0.1:{locked_redis}/0", "AuthenticationFailed"
    else:
        url, detail = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0", "refused"
    app = Flask(__name__)
    bp = WebhookBlueprint(
        "hooks",
        __name__,
        url="/hooks",
        scheme="github",
        secret=SECRET,
        mode="sync",
        store=hv.RedisStore(url, timeout=0.5),
    )
    bp.on("*", lambda event: None)
    app.register_blueprint(bp)
    with caplog.at_level(logging.INFO, logger="hookverify"):
        resp = app.test_client().post("/hooks", data=BODY, headers=gh(BODY, SECRET))
    assert resp.status_code == 503, resp.get_data()
    assert json.loads(resp.get_data()) == PUBLIC_503
    got = lines(caplog)
    assert len(got) == 1, got
    text = got[0][1]
    assert text.startswith(
        "hookverify: rejected delivery: code=store_unavailable status=503 provider=github: dedup store unavailable: redis: "
    ), text
    assert detail in text, text
    assert_no_canary(text)
