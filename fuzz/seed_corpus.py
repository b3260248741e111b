#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into fuzz/corpus/<target>/ from tests/vectors.

Seeds are named by the SHA-1 of their content (libFuzzer's convention), so re-running adds
nothing twice and never removes what the fuzzer found. Standard library only.
"""
import hashlib
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VEC = os.path.join(ROOT, "tests", "vectors")
PRESETS = os.path.join(ROOT, "core", "presets")
PRESET_ORDER = ["standard", "stripe", "github", "github-sha1", "slack", "shopify",  # scheme::preset_names()
                "calendly", "intercom", "quickbooks", "razorpay", "sentry", "typeform", "woocommerce"]

SINGLE = {"x-hub-signature-256", "x-hub-signature", "x-shopify-hmac-sha256", "x-slack-signature", "x-slack-request-timestamp",
          "intuit-signature", "x-razorpay-signature", "sentry-hook-signature", "typeform-signature", "x-wc-webhook-signature"}
LIST = {"webhook-signature", "svix-signature", "webhook-id", "svix-id", "webhook-timestamp", "svix-timestamp"}
KV = {"stripe-signature", "calendly-webhook-signature"}

seeds = {t: set() for t in ["header_single", "header_list", "header_kv", "scheme_spec", "envelope", "diagnose", "roundtrip", "catalog", "families", "handshakes"]}

# The presets of the engine extensions: the catalog target's input is `<header value> NUL <body>`.
CATALOG = {"paddle", "box", "docusign", "gitlab", "telegram", "okta", "lemonsqueezy", "xero", "zoom", "meta", "linear",
           "mailgun", "zendesk", "sanity"}


def load(rel):
    with open(os.path.join(VEC, rel), encoding="utf-8") as f:
        return json.load(f)


def add(target, data):
    seeds[target].add(data if isinstance(data, bytes) else data.encode("utf-8"))


def add_header(name, value):
    n = name.lower()
    for target, names in (("header_single", SINGLE), ("header_list", LIST), ("header_kv", KV)):
        if n in names:
            add(target, value)


def add_request(headers, body):
    head = "".join(f"{k}: {v}\n" for k, v in headers.items() if v is not None and "\n" not in v)
    add("diagnose", head.encode("utf-8") + b"\n" + body)


def body_of(t):
    if "body" in t and t["body"] is not None:
        return t["body"].encode("utf-8")
    if "body_hex" in t:
        return bytes.fromhex(t["body_hex"])
    return b""


URL_PRESETS = ["twilio", "square", "hubspot", "trello"]  # fuzz_targets/families.rs's order

for rel in ("schemes.json", "diagnose.json", "presets.json"):
    doc = load(rel)
    for spec in doc.get("custom_schemes", {}).values():
        add("scheme_spec", json.dumps(spec))
    for t in doc["tests"]:
        headers = t.get("headers") or {}
        for k, v in headers.items():
            if isinstance(v, str):
                add_header(k, v)
        body = body_of(t)
        if t.get("preset") in CATALOG:
            for v in headers.values():
                if isinstance(v, str):
                    add("catalog", v.encode("utf-8") + b"\0" + body)
        add("envelope", body)
        add_request({k: v for k, v in headers.items() if isinstance(v, str)}, body)
        # families: selector, flip position (u16 LE), then `URL\nMETHOD\n` + body (URL presets, even
        # selectors) or the body (public-key presets, odd selectors).
        if t.get("url") and t.get("preset") in URL_PRESETS:
            sel = 2 * URL_PRESETS.index(t["preset"])
            add("families", bytes([sel]) + struct.pack("<H", 3) + f"{t['url']}\n{t.get('method') or ''}\n".encode() + body)
        add("families", bytes([1 + 2 * (len(body) % 3)]) + struct.pack("<H", len(body) // 2) + body)

NON_HEADERS = {"secret_utf8", "secret", "body_utf8", "payload_utf8", "body_file", "body_hex", "now", "tolerance"}
for case in load("attacks/malformed_headers.json")["cases"]:
    for k, v in case["inputs"].items():
        if k not in NON_HEADERS and isinstance(v, str):
            add_header(k, v)

with open(os.path.join(VEC, "providers", "stripe_dotnet_event_test_signature.json"), "rb") as f:
    add("envelope", f.read())

for name in sorted(os.listdir(PRESETS)):
    with open(os.path.join(PRESETS, name), encoding="utf-8") as f:
        add("scheme_spec", f.read())
for name in PRESET_ORDER:
    add("scheme_spec", name)

# handshakes: selector (case << 2 | method: POST 0, GET 1), `PATH` line, header lines, blank, body.
for i, case in enumerate(load("handshakes.json")["cases"]):
    for r in case["requests"]:
        head = r["path"] + "\n" + "".join(f"{k}: {v}\n" for k, v in r["headers"].items()) + "\n"
        add("handshakes", bytes([(i << 2) | (1 if r["method"] == "GET" else 0)]) + head.encode() + r["body"].encode())

# roundtrip: preset, field, position (u16 LE), xor, timestamp offset (u32 LE), body.
bodies = sorted(seeds["envelope"], key=len)[:4]
for p in range(len(PRESET_ORDER)):
    for field in range(4):
        for body in bodies[:2]:
            add("roundtrip", bytes([p, field]) + struct.pack("<HBI", 7, 1, 700_000_000) + body)

for target, items in seeds.items():
    out = os.path.join(HERE, "corpus", target)
    os.makedirs(out, exist_ok=True)
    for data in items:
        with open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb") as f:
            f.write(data)
    print(f"{target}: {len(items)} seeds", file=sys.stderr)
