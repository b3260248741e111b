#!/usr/bin/env python3
"""Generates receiver-decisions.json: the shared decision table every runtime's receiver must answer
byte for byte (Rust core, Node native and wasm, Python).

Python standard library only. Signatures are computed here with `hmac` + `hashlib` + `base64`
(Standard Webhooks: v1,base64(HMAC-SHA256(base64decode(secret minus whsec_), "{id}.{ts}.{body}"));
GitHub: sha256=hex(HMAC-SHA256(secret, body))), never with hookverify's signer. The expected
answers are written out by hand below from the documented ack policy (core/src/receiver.rs,
spec/errors.md): they are the specification, not a recording of what the code did.

    python3 tests/vectors/gen_receiver_decisions.py > tests/vectors/receiver-decisions.json
"""

import base64
import hashlib
import hmac
import json

NOW = 1_700_000_000
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OTHER = "whsec_IewnLLaCFGqK83FiGkc8AB5+VJCTfWnKDtqjg9akPoY="
GH_SECRET = "It's a Secret to Everybody"
CT = [["Content-Type", "application/json"]]


def standard(msg_id, event_type, ts=NOW, secret=WHSEC, extra=None):
    body = json.dumps({"type": event_type, "data": {"n": 1}}, separators=(",", ":"))
    key = base64.b64decode(secret[len("whsec_"):])
    mac = hmac.new(key, f"{msg_id}.{ts}.{body}".encode(), hashlib.sha256).digest()
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": "v1," + base64.b64encode(mac).decode()}
    headers.update(extra or {})
    return headers, body


def github(delivery, event, body='{"action":"opened"}'):
    mac = hmac.new(GH_SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": "sha256=" + mac, "X-GitHub-Event": event, "X-GitHub-Delivery": delivery}, body


def req(path, hb, now=NOW, handlers=None, handlers_ok=True, declared_length=None, expect=None):
    headers, body = hb
    r = {"method": "POST", "path": path, "headers": headers, "body": body, "now": now}
    if declared_length is not None:
        r["declared_length"] = declared_length
    r["handlers_ok"] = handlers_ok
    if handlers is not None:
        r["expect_handlers"] = handlers
    r["expect"] = expect
    return r


def answer(status, body, headers=CT):
    return {"status": status, "headers": headers, "body": json.dumps(body, separators=(",", ":"), sort_keys=True)}


def error(status, code, message, headers=CT):
    return answer(status, {"error": {"code": code, "message": message}}, headers)


STD = {"name": "std", "scheme": "standard", "secret": WHSEC}
GH = {"name": "github", "scheme": "github", "secret": GH_SECRET}


def base(**extra):
    config = {"providers": [STD], "routes": [{"pattern": "user.*"}]}
    config.update(extra)
    return config


NO_SIG = "no matching signature: 1 signature(s) in webhook-signature, none matched a live secret (was the raw body used, unmodified?)"

cases = [
    {
        "name": "accepted async: 202 before the handlers, then a done duplicate is 200",
        "config": base(),
        "requests": [
            req("/hooks", standard("msg_a1", "user.created"), handlers=[0], expect=answer(202, {"accepted": True, "id": "msg_a1", "ok": True})),
            req("/hooks", standard("msg_a1", "user.created"), expect=answer(200, {"duplicate": True, "id": "msg_a1", "ok": True})),
        ],
    },
    {
        "name": "accepted sync: 200 after the handlers",
        "config": base(mode="sync"),
        "requests": [req("/hooks", standard("msg_s1", "user.created"), handlers=[0], expect=answer(200, {"id": "msg_s1", "ok": True}))],
    },
    {
        "name": "sync handler failure: 500 handler_failed, released, the retry runs again",
        "config": base(mode="sync"),
        "requests": [
            req("/hooks", standard("msg_f1", "user.created"), handlers=[0], handlers_ok=False, expect=answer(500, {
                "error": {"code": "handler_failed", "message": "a handler failed; the delivery was released so a retry runs it again"},
                "id": "msg_f1", "ok": False})),
            req("/hooks", standard("msg_f1", "user.created"), handlers=[0], expect=answer(200, {"id": "msg_f1", "ok": True})),
        ],
    },
    {
        "name": "unhandled type: 202 async, 200 sync (per-mode default)",
        "config": base(),
        "requests": [
            req("/hooks", standard("msg_u1", "invoice.paid"), expect=answer(202, {"handled": False, "id": "msg_u1", "ok": True, "type": "invoice.paid"})),
            req("/hooks", standard("msg_u2", "invoice.paid", extra={"Hookverify-Sync": "true"}),
                expect=answer(200, {"handled": False, "id": "msg_u2", "ok": True, "type": "invoice.paid"})),
        ],
    },
    {
        "name": "unhandled type in sync mode with unhandled_status 404",
        "config": base(mode="sync", unhandled_status=404),
        "requests": [req("/hooks", standard("msg_u3", "invoice.paid"), expect=answer(404, {"handled": False, "id": "msg_u3", "ok": False, "type": "invoice.paid"}))],
    },
    {
        "name": "unhandled_status overrides the async default too",
        "config": base(unhandled_status=204),
        "requests": [req("/hooks", standard("msg_u4", "invoice.paid"), expect=answer(204, {"handled": False, "id": "msg_u4", "ok": True, "type": "invoice.paid"}))],
    },
    {
        "name": "'*' is a fallback: not run beside a specific match, run when none matched",
        "config": {"providers": [STD], "routes": [{"pattern": "user.created"}, {"pattern": "*"}, {"pattern": "user.*"}], "mode": "sync"},
        "requests": [
            req("/hooks", standard("msg_w1", "user.created"), handlers=[0, 2], expect=answer(200, {"id": "msg_w1", "ok": True})),
            req("/hooks", standard("msg_w2", "invoice.paid"), handlers=[1], expect=answer(200, {"id": "msg_w2", "ok": True})),
        ],
    },
    {
        "name": "bad signature: 401 no_matching_signature",
        "config": base(),
        "requests": [req("/hooks", standard("msg_b1", "user.created", secret=OTHER), expect=error(401, "no_matching_signature", NO_SIG))],
    },
    {
        "name": "stale timestamp: 401 timestamp_too_old",
        "config": base(),
        "requests": [req("/hooks", standard("msg_t1", "user.created", ts=NOW - 301), expect=error(401, "timestamp_too_old", "timestamp too old: signed 301 s before now, tolerance is 300 s"))],
    },
    {
        "name": "no provider matched: 401 missing_header naming no provider's header",
        "config": {"providers": [STD, GH], "routes": [{"pattern": "*"}]},
        "requests": [req("/hooks", ({"content-type": "application/json"}, "{}"), expect=error(401, "missing_header", "missing header: the request has no signature header this endpoint accepts"))],
    },
    {
        "name": "providers in match order, routes scoped by provider and path relative to base_path",
        "config": {"providers": [STD, GH], "base_path": "/flex/v2", "mode": "sync",
                   "routes": [{"pattern": "*", "provider": "github", "path": "git/push"}, {"pattern": "*", "provider": "std"}]},
        "requests": [
            req("/flex/v2/git/push?x=1", github("gh-1", "push"), handlers=[0], expect=answer(200, {"id": "gh-1", "ok": True})),
            req("/flex/v2/other", github("gh-2", "push"), expect=answer(200, {"handled": False, "id": "gh-2", "ok": True, "type": "push.opened"})),
            req("/flex/v2", standard("msg_p1", "user.created"), handlers=[1], expect=answer(200, {"id": "msg_p1", "ok": True})),
        ],
    },
    {
        "name": "outside base_path: 404 not_found before any verification",
        "config": base(base_path="/flex/v2"),
        "requests": [
            req("/flex/v20", standard("msg_o1", "user.created"), expect=error(404, "not_found", "not found: no webhook endpoint at this path")),
            req("/other", ({}, ""), expect=error(404, "not_found", "not found: no webhook endpoint at this path")),
        ],
    },
    {
        "name": "custom sync header: flex-sync-webhook: true switches to sync; Hookverify-Sync no longer does",
        "config": base(sync_header="flex-sync-webhook"),
        "requests": [
            req("/hooks", standard("msg_h1", "user.created", extra={"flex-sync-webhook": "TRUE"}), handlers=[0], expect=answer(200, {"id": "msg_h1", "ok": True})),
            req("/hooks", standard("msg_h2", "user.created", extra={"Hookverify-Sync": "true"}), handlers=[0], expect=answer(202, {"accepted": True, "id": "msg_h2", "ok": True})),
        ],
    },
    {
        "name": "body cap: 413 from a declared length and from the body itself, one message",
        "config": base(max_body_bytes=64),
        "requests": [
            req("/hooks", ({}, ""), declared_length=1000, expect=error(413, "payload_too_large", "payload too large: the limit is 64 bytes")),
            req("/hooks", standard("msg_l1", "user.created" + "x" * 64), expect=error(413, "payload_too_large", "payload too large: the limit is 64 bytes")),
        ],
    },
]

malformed = [
    {"name": "unknown option", "config": {"providers": [STD], "oops": 1}, "error": "invalid_argument"},
    {"name": "no providers", "config": {"providers": []}, "error": "invalid_argument"},
    {"name": "unhandled_status out of range", "config": base(unhandled_status=99), "error": "invalid_argument"},
    {"name": "mode misspelt", "config": base(mode="later"), "error": "invalid_argument"},
    {"name": "base_path not absolute", "config": base(base_path="flex"), "error": "invalid_argument"},
    {"name": "unknown scheme", "config": {"providers": [{"scheme": "nope", "secret": "s"}]}, "error": "unknown_scheme"},
    {"name": "bad match rule", "config": {"providers": [dict(STD, match="sometimes")]}, "error": "invalid_argument"},
]

doc = {
    "provenance": (
        "Generated by tests/vectors/gen_receiver_decisions.py (Python standard library only). Signatures computed "
        "with Python's hmac/hashlib/base64 (Standard Webhooks: v1,base64(HMAC-SHA256(base64decode(secret minus "
        "whsec_), id.ts.body)); GitHub: sha256=hex(HMAC-SHA256(secret, body))), never with hookverify's signer. "
        "Expected answers are written by hand from the documented ack policy."
    ),
    "format": (
        "cases[]: one receiver built from `config` (the core's ReceiverConfig; route i's handler is i), then each "
        "request in order on it. A request with `declared_length` asks the receiver's early 413 for that declared "
        "Content-Length instead of running the body. Otherwise begin; a delivery to run must name `expect_handlers` "
        "(route indexes, in order); its handlers all succeed when `handlers_ok` (else they fail); sync deliveries "
        "answer with finish, async ones with accepted (then finish). `expect`: status, headers [[name, value]] in "
        "order, body (exact bytes). malformed[]: a config the receiver must refuse with this error code."
    ),
    "cases": cases,
    "malformed": malformed,
}
print(json.dumps(doc, indent=1, ensure_ascii=False))
