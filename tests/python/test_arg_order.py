"""One argument order, (body, headers), in every Python entry point (issue 18): ``diagnose``,
``Receiver.begin`` / ``handle`` / ``begin_async`` (after the path), like ``Verifier.verify``.
Positional calls take the body first; the keywords ``body=`` / ``headers=`` work whatever the
order; the old (headers, body) positional order is refused with a typed error, never accepted.
The signature is GitHub's documented example, not one hookverify computed."""

import asyncio
import hashlib
import hmac
import json

import pytest

import hookverify as hv

GH_SECRET = "It's a Secret to Everybody"
GH_BODY = b"Hello, World!"
GH_HEADERS = {"X-Hub-Signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}


def test_diagnose_takes_body_then_headers():
    report = hv.diagnose(GH_BODY, GH_HEADERS, secrets=[GH_SECRET], now=0)
    assert report.valid and report.key_index == 0 and report.scheme == "github"
    assert not hv.diagnose(b"Hello, World?", GH_HEADERS, secrets=[GH_SECRET], now=0).valid


def test_diagnose_keywords_in_either_order():
    a = hv.diagnose(body=GH_BODY, headers=GH_HEADERS, secrets=[GH_SECRET], now=0)
    b = hv.diagnose(headers=GH_HEADERS, body=GH_BODY, secrets=[GH_SECRET], now=0)
    assert a.valid and a.to_json() == b.to_json()


def test_diagnose_old_order_is_refused():
    with pytest.raises(hv.HookverifyError) as e:
        hv.diagnose(GH_HEADERS, GH_BODY, secrets=[GH_SECRET], now=0)  # type: ignore[arg-type]
    assert e.value.code == "invalid_argument" and "arguments are body, then headers" in str(e.value), e.value


def _github_receiver() -> hv.Receiver:
    r = hv.Receiver(scheme="github", secret=GH_SECRET, mode="sync")
    r.on("issues.*", lambda event: None)
    return r


def _github_delivery(delivery_id: str):
    body = json.dumps({"action": "opened", "n": delivery_id}).encode()  # GitHub dedups by a digest of the body
    sig = hmac.new(GH_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-Hub-Signature-256": f"sha256={sig}", "X-GitHub-Delivery": delivery_id, "X-GitHub-Event": "issues"}
    return body, headers


def test_receiver_takes_path_body_headers():
    r = _github_receiver()
    body, headers = _github_delivery("d-1")
    assert r.handle("/hooks", body, headers).status == 200
    step = r.begin("/hooks", *_github_delivery("d-2"))
    assert isinstance(step, hv.Delivery) and step.event.id == "d-2"
    step = asyncio.run(r.begin_async("/hooks", *_github_delivery("d-3")))
    assert isinstance(step, hv.Delivery) and step.event.id == "d-3"


def test_receiver_keywords_and_old_order():
    r = _github_receiver()
    body, headers = _github_delivery("d-k")
    assert r.handle("/hooks", headers=headers, body=body).status == 200
    body2, headers2 = _github_delivery("d-k2")
    step = r.begin(path="/hooks", headers=headers2, body=body2)
    assert isinstance(step, hv.Delivery) and step.event.id == "d-k2"
    with pytest.raises(hv.HookverifyError) as e:
        r.handle("/hooks", headers, body)
    assert e.value.code == "invalid_argument" and "arguments are body, then headers" in str(e.value), e.value
