"""What identifies a delivery (issue 16, items 1-3).

- Flask and FastAPI: one delivery under every path spelling the framework routes to the same view
  runs once (the dedup key never holds the path).
- Receiver: a Svix-signed delivery plus an added, unsigned ``webhook-id`` keeps the signed id, one run.
- GitHub / Shopify: a captured body replayed under fresh (unsigned) delivery ids is a duplicate;
  ``Event.id`` is still the header's id.

Signatures come from Python's ``hmac``, never from hookverify's signer.
"""

import base64
import hashlib
import hmac
import json
import time

from conftest import GH_SECRET, WHKEY, WHSEC, gh_headers
from fastapi import FastAPI
from fastapi.testclient import TestClient
from flask import Flask

import hookverify as hv
from hookverify.fastapi import Webhook
from hookverify.flask import webhook

STRIPE = "whsec_identity_py"


def stripe_delivery(event_id: str) -> "tuple[bytes, dict]":
    ts = int(time.time())
    body = json.dumps({"id": event_id, "type": "invoice.paid", "created": ts, "data": {"object": {}}}).encode()
    sig = hmac.new(STRIPE.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={ts},v1={sig}", "Content-Type": "application/json"}


def set_headers(prefix: str, msg_id: str, body: bytes, ts: int) -> dict:
    """One Standard Webhooks header set (``webhook`` or ``svix``), signed with hmac."""
    mac = hmac.new(WHKEY, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return {
        f"{prefix}-id": msg_id,
        f"{prefix}-timestamp": str(ts),
        f"{prefix}-signature": "v1," + base64.b64encode(mac).decode(),
    }


# A body without /id or /timestamp: both can only come from headers.
HEADER_ONLY = b'{"type":"user.created","data":{"n":1}}'


def test_flask_one_delivery_under_every_routed_spelling_runs_once():
    app, seen = Flask(__name__), []

    @app.post("/hooks")
    @app.post("/Hooks")
    @app.post("/hooks/<path:rest>")
    @webhook(scheme="stripe", secret=STRIPE, mode="sync")
    def hooks(event, rest=None):
        seen.append(event.id)

    client = app.test_client()
    body, headers = stripe_delivery("evt_flask")
    answers = []
    for path in ["/hooks", "/hooks?x=1", "/Hooks", "/hooks/a", "/hooks/a/b?c", "/%68ooks"]:
        r = client.post(path, data=body, headers=headers)
        assert r.status_code == 200, (path, r.get_json())
        answers.append(r.get_json())
    assert seen == ["evt_flask"]
    assert all(a == {"ok": True, "id": "evt_flask", "duplicate": True} for a in answers[1:]), answers


def test_fastapi_one_delivery_under_every_routed_spelling_runs_once():
    app, seen = FastAPI(), []
    hook = Webhook(scheme="stripe", secret=STRIPE, mode="sync")
    hook.on("*", lambda event: seen.append(event.id))
    for route in ["/hooks", "/HOOKS", "/hooks/{rest:path}"]:
        app.add_api_route(route, hook.endpoint, methods=["POST"])
    client = TestClient(app)
    body, headers = stripe_delivery("evt_fastapi")
    for path in ["/hooks", "/hooks?x=1", "/HOOKS", "/hooks/", "/hooks/a/b", "/%68ooks"]:
        r = client.post(path, content=body, headers=headers)
        assert r.status_code == 200, (path, r.json())
    assert seen == ["evt_fastapi"]


def test_namespace_names_an_endpoint_in_a_shared_store():
    store, seen = hv.MemoryStore(), []

    def receiver(namespace):
        r = hv.Receiver(scheme="stripe", secret=STRIPE, mode="sync", store=store, namespace=namespace)
        r.on("*", lambda event: seen.append((namespace, event.id)))
        return r

    body, headers = stripe_delivery("evt_ns")
    billing, shop, shop_again = receiver("billing"), receiver("shop"), receiver("shop")
    for r, path in [(billing, "/billing"), (shop, "/shop"), (shop_again, "/shop/v2"), (billing, "/BILLING/")]:
        assert r.handle(path, body, headers).status == 200
    assert seen == [("billing", "evt_ns"), ("shop", "evt_ns")]
    d = receiver(None).begin("/x", body, headers)
    assert isinstance(d, hv.Delivery) and d.key == "|stripe|evt_ns"


def test_receiver_svix_delivery_plus_unsigned_webhook_id_is_one_delivery():
    ts, seen = int(time.time()), []
    r = hv.Receiver(scheme="standard", secret=WHSEC, mode="sync")
    r.on("*", lambda event: seen.append((event.id, event.timestamp)))
    svix = set_headers("svix", "msg_svix_1", HEADER_ONLY, ts)
    first = r.handle("/hooks", HEADER_ONLY, svix)
    assert (first.status, json.loads(first.body)) == (200, {"ok": True, "id": "msg_svix_1"})
    for i in range(3):
        replay = {**svix, "webhook-id": f"replay-{i}", "webhook-timestamp": str(ts - 86400)}
        answer = r.handle("/hooks", HEADER_ONLY, replay)
        assert (answer.status, json.loads(answer.body)) == (200, {"ok": True, "id": "msg_svix_1", "duplicate": True})
    assert seen == [("msg_svix_1", ts)]
    # The Verifier reads the same way: id and timestamp of the set that verified.
    event = hv.Verifier(scheme="standard", secret=WHSEC).verify(
        HEADER_ONLY, {**svix, "webhook-id": "anything", "webhook-timestamp": "1"}
    )
    assert (event.id, event.timestamp) == ("msg_svix_1", ts)


def test_github_replay_with_fresh_delivery_ids_is_a_duplicate():
    body, seen = b'{"action":"opened","issue":{"number":7}}', []
    r = hv.Receiver(scheme="github", secret=GH_SECRET, mode="sync")
    r.on("issues.opened", lambda event: seen.append(event.id))
    assert json.loads(r.handle("/hooks", body, gh_headers(body, "d-genuine")).body) == {"ok": True, "id": "d-genuine"}
    for n in range(3):
        answer = r.handle("/hooks", body, gh_headers(body, f"fresh-{n}"))
        assert (answer.status, json.loads(answer.body)) == (200, {"ok": True, "id": f"fresh-{n}", "duplicate": True})
    assert seen == ["d-genuine"], "the handler ran once and saw GitHub's delivery id"
    # The key is the documented digest of the signed body, not the unsigned id.
    fresh = hv.Receiver(scheme="github", secret=GH_SECRET, mode="sync")
    fresh.on("*", lambda event: None)
    d = fresh.begin("/hooks", body, gh_headers(body, "d-x"))
    assert d.key == "|github|sha256:" + hashlib.sha256(b"github\0\0" + body).hexdigest()
    assert d.event.id == "d-x"


def test_shopify_replay_with_fresh_webhook_ids_is_a_duplicate():
    body, seen = b'{"id":820982911946154508}', []
    sig = base64.b64encode(hmac.new(b"shpss", body, hashlib.sha256).digest()).decode()
    r = hv.Receiver(scheme="shopify", secret="shpss", mode="sync")
    r.on("*", lambda event: seen.append(event.id))
    for webhook_id in ["b54557e4", "fresh-1", "fresh-2"]:
        headers = {"X-Shopify-Hmac-Sha256": sig, "X-Shopify-Webhook-Id": webhook_id, "X-Shopify-Topic": "orders/create"}
        assert r.handle("/hooks", body, headers).status == 200
    assert seen == ["b54557e4"]
