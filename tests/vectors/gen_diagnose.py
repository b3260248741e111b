#!/usr/bin/env python3
"""Generate tests/vectors/diagnose.json: cases for hookverify's `diagnose`.

Independent oracle: every signature is computed ONLY with Python's standard library
(hmac, hashlib, base64, json; Ed25519 and ECDSA P-256 by pure_asym.py, stdlib only). Each hint case signs a *variant* of what the case
hands to diagnose (a re-serialized body, another line ending, another key reading,
encoding, algorithm, signed content or timestamp unit), so the variant is the only
thing that can explain the failure. Scheme rules are transcribed by hand from
core/presets/*.json (not read at run time).

Each case: tcId, comment, scheme (preset name, custom spec object, or null = detect),
secrets, headers, body (UTF-8 text) or body_hex, optional url/method (the request line, for
schemes that sign it) and public_keys (for public-key schemes), now, result, scheme_used, detected,
key_index, event, hints (expected hint codes, in report order), failed_checks (names
of checks with ok=false, in report order), forbidden (expected MACs of each secret
under the scheme in hex/base64/base64url, and the signatures sent: no 6-character
piece of these or of any secret may appear in the report).

Deterministic (no clock, no randomness). Usage: python3 tests/vectors/gen_diagnose.py
"""

import base64
import hashlib
import hmac
import json
import os
import sys

NOW = 1700000000
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "diagnose.json")

SCHEMES = {
    "standard": dict(alg="sha256", header="webhook-signature", enc="base64", prefix="", fmt="list",
                     template="{id}.{timestamp}.{body}", ts_header="webhook-timestamp", id_header="webhook-id",
                     secret="whsec"),
    "stripe": dict(alg="sha256", header="Stripe-Signature", enc="hex", prefix="", fmt="kv",
                   template="{timestamp}.{body}", ts_header=None, id_header=None, secret="utf8"),
    "github": dict(alg="sha256", header="X-Hub-Signature-256", enc="hex", prefix="sha256=", fmt="single",
                   template="{body}", ts_header=None, id_header=None, secret="utf8"),
    "github-sha1": dict(alg="sha1", header="X-Hub-Signature", enc="hex", prefix="sha1=", fmt="single",
                        template="{body}", ts_header=None, id_header=None, secret="utf8"),
    "slack": dict(alg="sha256", header="X-Slack-Signature", enc="hex", prefix="v0=", fmt="single",
                  template="v0:{timestamp}:{body}", ts_header="X-Slack-Request-Timestamp", id_header=None,
                  secret="utf8"),
    "shopify": dict(alg="sha256", header="X-Shopify-Hmac-Sha256", enc="base64", prefix="", fmt="single",
                    template="{body}", ts_header=None, id_header=None, secret="utf8"),
}
CUSTOM = {
    "generic": {"name": "generic", "signature_header": "X-Webhook-Signature"},
    "php-json": {"name": "php-json", "signature_header": "Signature"},
    "acme-b64": {"name": "acme-b64", "signature_header": "X-Acme-Signature", "encoding": "base64"},
}
for _name, _spec in CUSTOM.items():
    SCHEMES[_name] = dict(alg=_spec.get("algorithm", "sha256"), header=_spec["signature_header"],
                          enc=_spec.get("encoding", "hex"), prefix="", fmt="single", template="{body}",
                          ts_header=None, id_header=None, secret="utf8")

# Secrets: random-looking, so no English word of a report can collide with them.
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
STRIPE_SECRET = "whsec_9Xq2Lr7TzKw4Vb1Np8Ys"
PLAIN = "k7Qz-2xVr-9pLm-4tWd"
PLAIN2 = "Zt8q-W3nb-5Rkc-1yHj"


def key_for(scheme, secret):
    """Key bytes as the scheme decodes the secret string."""
    if SCHEMES[scheme]["secret"] == "whsec":
        s = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
        return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)
    return secret.encode()


def mac(alg, key, msg):
    return hmac.new(key, msg, getattr(hashlib, alg)).digest()


def encode(enc, raw):
    if enc == "hex":
        return raw.hex()
    if enc == "base64":
        return base64.b64encode(raw).decode()
    return base64.urlsafe_b64encode(raw).decode()


def content(template, msg_id, ts, body):
    out = template.encode().replace(b"{id}", (msg_id or "").encode()).replace(b"{timestamp}", (ts or "").encode())
    return out.replace(b"{body}", body)


def sign(scheme, key, body, msg_id=None, ts=None, alg=None, enc=None, template=None, sig_ts=None):
    """Headers a sender of `scheme` sends; alg/enc/template/sig_ts override what is signed or written."""
    s = SCHEMES[scheme]
    ts_text = None if ts is None else str(ts)
    signed_ts = ts_text if sig_ts is None else str(sig_ts)
    raw = mac(alg or s["alg"], key, content(template or s["template"], msg_id, signed_ts, body))
    sig = encode(enc or s["enc"], raw)
    headers = {}
    if s["id_header"]:
        headers[s["id_header"]] = msg_id
    if s["ts_header"]:
        headers[s["ts_header"]] = ts_text
    if s["fmt"] == "list":
        headers[s["header"]] = "v1," + s["prefix"] + sig
    elif s["fmt"] == "kv":
        headers[s["header"]] = "t=%s,v1=%s" % (ts_text, sig)
    else:
        headers[s["header"]] = s["prefix"] + sig
    return headers


def sent_signatures(headers):
    out = []
    for name, value in headers.items():
        if "signature" in name.lower() or "hmac" in name.lower():
            for part in value.replace(" ", ",").split(","):
                part = part.split("=", 1)[1] if "=" in part else part
                if len(part) >= 16:
                    out.append(part)
    return out


def expected_macs(scheme, secrets, headers, body):
    """The MAC each secret gives under `scheme` over what was received (hex, base64, base64url)."""
    s = SCHEMES[scheme]
    msg_id = headers.get(s["id_header"]) if s["id_header"] else None
    if s["ts_header"]:
        ts = headers.get(s["ts_header"])
    elif s["fmt"] == "kv" and s["header"] in headers:
        ts = dict(p.split("=", 1) for p in headers[s["header"]].split(",") if "=" in p).get("t")
    else:
        ts = None
    out = []
    for secret in secrets:
        try:
            key = key_for(scheme, secret)
        except Exception:
            key = secret.encode()
        raw = mac(s["alg"], key, content(s["template"], msg_id, ts, body))
        out += [raw.hex(), base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")]
    return out


def compact(v):
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode()


def php(v):
    return json.dumps(v, separators=(",", ":")).replace("/", "\\/").encode()


ORDER = {"id": "evt_1001", "type": "invoice.paid", "created_at": 1699999990,
         "data": {"amount": 4200, "note": "caf\u00e9 for two", "url": "https://example.com/a/b", "tags": [], "meta": {}}}
STRIPE_EVENT = {"id": "evt_2002", "object": "event", "type": "invoice.paid", "created": 1699999990,
                "data": {"object": {"id": "in_1", "amount_due": 4200, "currency": "eur"}}}
STANDARD_EVENT = {"type": "user.created", "timestamp": "2023-11-14T22:13:20Z", "data": {"user": "u_1", "name": "Zo\u00eb"}}

tests = []


def case(comment, scheme, secrets, headers, body, result, hints=(), failed=(), now=NOW, key_index=None,
         event=None, used=None, detected=False):
    used = used if used is not None else (scheme if isinstance(scheme, str) else None)
    scheme_field = CUSTOM[scheme] if scheme in CUSTOM else scheme
    forbidden = sent_signatures(headers)
    if used is not None:
        forbidden += expected_macs(used, secrets, headers, body)
    t = {"tcId": len(tests) + 1, "comment": comment, "scheme": scheme_field, "secrets": secrets, "headers": headers}
    try:
        t["body"] = body.decode("utf-8")
    except UnicodeDecodeError:
        t["body_hex"] = body.hex()
    t.update({"now": now, "result": result, "scheme_used": CUSTOM[used]["name"] if used in CUSTOM else used,
              "detected": detected, "key_index": key_index, "event": event, "hints": list(hints),
              "failed_checks": list(failed), "forbidden": sorted(set(forbidden))})
    # Self-check: an invalid case's signature must not verify as the scheme reads it (except the
    # timestamp cases, where the MAC is right and only the window or the unit is wrong).
    if result == "invalid" and used is not None and not any(w in comment for w in ("timestamp", "now given", "clock skew")):
        enc = SCHEMES[used]["enc"]
        sent = set(sent_signatures(headers))
        for m in expected_macs(used, secrets, headers, body)[{"hex": 0, "base64": 1, "base64url": 2}[enc]::3]:
            assert m not in sent, comment
    tests.append(t)


# ---------------------------------------------------------------- valid, no hints
body = compact(STANDARD_EVENT)
case("standard, valid", "standard", [WHSEC], sign("standard", key_for("standard", WHSEC), body, "msg_31", NOW),
     body, "valid", key_index=0, event={"id": "msg_31", "type": "user.created", "timestamp": 1700000000},
     failed=[])
h = sign("standard", key_for("standard", WHSEC), body, "msg_32", NOW)
h = {"svix-id": h["webhook-id"], "svix-timestamp": h["webhook-timestamp"], "svix-signature": h["webhook-signature"]}
case("svix headers detected as standard", None, [WHSEC], h, body, "valid", key_index=0, used="standard", detected=True,
     event={"id": "msg_32", "type": "user.created", "timestamp": 1700000000})
body = compact(STRIPE_EVENT)
case("stripe, rotation: the second secret matches", "stripe", [PLAIN, STRIPE_SECRET],
     sign("stripe", STRIPE_SECRET.encode(), body, ts=NOW - 10), body, "valid", key_index=1,
     event={"id": "evt_2002", "type": "invoice.paid", "timestamp": 1699999990})
body = b'{"action":"opened","number":7}'
h = sign("github", PLAIN.encode(), body)
h.update(sign("github-sha1", PLAIN.encode(), body))
h.update({"X-GitHub-Delivery": "d-77", "X-GitHub-Event": "issues"})
case("github detected (X-Hub-Signature-256 wins over X-Hub-Signature)", None, [PLAIN], h, body, "valid",
     key_index=0, used="github", detected=True, event={"id": "d-77", "type": "issues.opened", "timestamp": None})
h = sign("github-sha1", PLAIN.encode(), body)
h.update({"X-GitHub-Delivery": "d-78", "X-GitHub-Event": "issues"})
case("github-sha1 detected from X-Hub-Signature alone", None, [PLAIN], h, body, "valid", key_index=0,
     used="github-sha1", detected=True, event={"id": "d-78", "type": "issues.opened", "timestamp": None})
body = b'{"type":"event_callback","event_id":"Ev01","event_time":1699999999,"event":{"type":"app_mention"}}'
case("slack, valid", "slack", [PLAIN], sign("slack", PLAIN.encode(), body, ts=NOW + 5), body, "valid", key_index=0,
     event={"id": "Ev01", "type": "app_mention", "timestamp": 1699999999})
body = b'{"id":820982911946154508,"email":"jon@example.com"}'
h = sign("shopify", PLAIN.encode(), body)
h.update({"X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": "b54557e4"})
case("shopify detected, valid", None, [PLAIN], h, body, "valid", key_index=0, used="shopify", detected=True,
     event={"id": "b54557e4", "type": "orders/create", "timestamp": None})
body = compact(ORDER)
case("custom scheme, valid", "generic", [PLAIN], sign("generic", PLAIN.encode(), body), body, "valid", key_index=0,
     event={"id": "evt_1001", "type": "invoice.paid", "timestamp": 1699999990})
case("valid signature, body is not a JSON envelope: event check fails", "github", [PLAIN],
     sign("github", PLAIN.encode(), b"hello"), b"hello", "valid", key_index=0, failed=["event"])

# ---------------------------------------------------------------- body_reserialized
obj = ORDER
case("signed JSON.stringify(v, null, 2), given compact", "github", [PLAIN],
     sign("github", PLAIN.encode(), json.dumps(obj, indent=2, ensure_ascii=False).encode()), compact(obj), "invalid",
     hints=["body_reserialized"], failed=["signature"])
case("signed PHP json_encode (\\/ and \\u00e9), given unescaped compact", "php-json", [PLAIN],
     sign("php-json", PLAIN.encode(), php(obj)), compact(obj), "invalid", hints=["body_reserialized"],
     failed=["signature"])
case("signed Python json.dumps defaults, given compact", "stripe", [PLAIN],
     sign("stripe", PLAIN.encode(), json.dumps(STRIPE_EVENT).encode(), ts=NOW), compact(STRIPE_EVENT), "invalid",
     hints=["body_reserialized"], failed=["signature"])
case("signed with sorted keys, given in original order", "standard", [WHSEC],
     sign("standard", key_for("standard", WHSEC), json.dumps(STANDARD_EVENT, sort_keys=True, separators=(",", ":"),
                                                             ensure_ascii=False).encode(), "msg_40", NOW),
     compact(STANDARD_EVENT), "invalid", hints=["body_reserialized"], failed=["signature"])
case("signed compact, given pretty-printed (4 spaces)", "github", [PLAIN2, PLAIN],
     sign("github", PLAIN.encode(), compact(obj)), json.dumps(obj, indent=4, ensure_ascii=False).encode(), "invalid",
     hints=["body_reserialized"], failed=["signature"])
case("PHP sender, given PHP bytes but signed unescaped", "php-json", [PLAIN],
     sign("php-json", PLAIN.encode(), compact(obj)), php(obj), "invalid", hints=["body_reserialized"],
     failed=["signature"])

# ---------------------------------------------------------------- body_line_endings / body_charset
case("signed LF, given CRLF", "generic", [PLAIN], sign("generic", PLAIN.encode(), b"a=1\nb=2\n"), b"a=1\r\nb=2\r\n",
     "invalid", hints=["body_line_endings"], failed=["signature"])
case("signed CRLF, given LF", "generic", [PLAIN], sign("generic", PLAIN.encode(), b"a=1\r\nb=2"), b"a=1\nb=2",
     "invalid", hints=["body_line_endings"], failed=["signature"])
case("given with a UTF-8 BOM, signed without", "github", [PLAIN], sign("github", PLAIN.encode(), compact(obj)),
     b"\xef\xbb\xbf" + compact(obj), "invalid", hints=["body_line_endings"], failed=["signature"])
case("given with a trailing newline, signed without", "slack", [PLAIN],
     sign("slack", PLAIN.encode(), b"token=x&team_id=T1", ts=NOW), b"token=x&team_id=T1\n", "invalid",
     hints=["body_line_endings"], failed=["signature"])
case("given Latin-1 bytes, signed UTF-8", "generic", [PLAIN],
     sign("generic", PLAIN.encode(), "name=caf\u00e9".encode("utf-8")), "name=caf\u00e9".encode("latin-1"), "invalid",
     hints=["body_charset"], failed=["signature"])
case("given UTF-8, signed Latin-1", "generic", [PLAIN],
     sign("generic", PLAIN.encode(), "name=caf\u00e9".encode("latin-1")), "name=caf\u00e9".encode("utf-8"), "invalid",
     hints=["body_charset"], failed=["signature"])

# ---------------------------------------------------------------- secrets
body = compact(STANDARD_EVENT)
case("standard: sender keys with the whole whsec string as UTF-8", "standard", [WHSEC],
     sign("standard", WHSEC.encode(), body, "msg_50", NOW), body, "invalid", hints=["secret_encoding"],
     failed=["signature"])
case("standard: sender keys with the text after the prefix, not decoded", "standard", [WHSEC],
     sign("standard", WHSEC[6:].encode(), body, "msg_51", NOW), body, "invalid", hints=["secret_encoding"],
     failed=["signature"])
body = compact(STRIPE_EVENT)
case("stripe: sender base64-decodes the whsec secret", "stripe", [WHSEC],
     sign("stripe", key_for("standard", WHSEC), body, ts=NOW), body, "invalid", hints=["secret_encoding"],
     failed=["signature"])
case("github: sender drops the whsec prefix", "github", [STRIPE_SECRET],
     sign("github", STRIPE_SECRET[6:].encode(), body), body, "invalid", hints=["secret_encoding"], failed=["signature"])
case("github: secret loaded with a trailing newline", "github", [PLAIN + "\n"], sign("github", PLAIN.encode(), body),
     body, "invalid", hints=["secret_whitespace"], failed=["signature"])
body = compact(STANDARD_EVENT)
case("standard: whsec secret with surrounding whitespace does not decode", "standard", ["  " + WHSEC + "\n"],
     sign("standard", key_for("standard", WHSEC), body, "msg_52", NOW), body, "invalid", hints=["secret_whitespace"],
     failed=["secrets", "signature"])
body = compact(STRIPE_EVENT)
case("stripe: a Stripe secret API key given instead of the signing secret", "stripe",
     ["sk_test_4eC39HqLyjWDarjtT1zdp7dc"], sign("stripe", STRIPE_SECRET.encode(), body, ts=NOW), body, "invalid",
     hints=["secret_wrong_key"], failed=["signature"])
body = b'{"type":"event_callback","event_id":"Ev02","event":{"type":"message"}}'
case("slack: a bot token given instead of the signing secret", "slack", ["xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oO"],
     sign("slack", PLAIN.encode(), body, ts=NOW), body, "invalid", hints=["secret_wrong_key"], failed=["signature"])

# ---------------------------------------------------------------- encoding / algorithm / scheme
body = compact(ORDER)
case("scheme expects base64, sender writes hex", "acme-b64", [PLAIN], sign("acme-b64", PLAIN.encode(), body, enc="hex"),
     body, "invalid", hints=["wrong_encoding"], failed=["signature_header", "signature"])
case("github: base64 after sha256=", "github", [PLAIN], sign("github", PLAIN.encode(), body, enc="base64"), body,
     "invalid", hints=["wrong_encoding"], failed=["signature_header", "signature"])
h = sign("shopify", PLAIN.encode(), body, enc="hex")
case("shopify detected, hex instead of base64", None, [PLAIN], h, body, "invalid", used="shopify", detected=True,
     hints=["wrong_encoding"], failed=["signature_header", "signature"])
case("github: an HMAC-SHA1 after sha256=", "github", [PLAIN], sign("github", PLAIN.encode(), body, alg="sha1"), body,
     "invalid", hints=["wrong_algorithm"], failed=["signature_header", "signature"])
case("custom sha256 scheme, sender uses HMAC-SHA512", "generic", [PLAIN],
     sign("generic", PLAIN.encode(), body, alg="sha512"), body, "invalid", hints=["wrong_algorithm"],
     failed=["signature_header", "signature"])
body = compact(STRIPE_EVENT)
case("stripe header, but only the body is signed (no timestamp prefix)", "stripe", [PLAIN],
     sign("stripe", PLAIN.encode(), body, ts=NOW, template="{body}"), body, "invalid", hints=["wrong_scheme"],
     failed=["signature"])
case("github chosen, the request carries a Stripe signature", "github", [PLAIN],
     sign("stripe", PLAIN.encode(), body, ts=NOW), body, "invalid", hints=["wrong_scheme"],
     failed=["signature_header", "signature"])

# ---------------------------------------------------------------- timestamps
body = b"token=x&team_id=T1&text=hi"
case("slack: timestamp sent and signed in milliseconds", "slack", [PLAIN],
     sign("slack", PLAIN.encode(), body, ts=NOW * 1000), body, "invalid", hints=["timestamp_unit"],
     failed=["timestamp"])
body = compact(STRIPE_EVENT)
case("stripe: t= in milliseconds, seconds signed", "stripe", [PLAIN],
     sign("stripe", PLAIN.encode(), body, ts=NOW * 1000, sig_ts=NOW), body, "invalid", hints=["timestamp_unit"],
     failed=["timestamp", "signature"])
body = compact(STANDARD_EVENT)
case("standard: now given in milliseconds", "standard", [WHSEC],
     sign("standard", key_for("standard", WHSEC), body, "msg_60", NOW), body, "invalid", now=NOW * 1000,
     hints=["timestamp_unit"], failed=["timestamp_window"])
body = compact(STRIPE_EVENT)
case("stripe: valid signature, signed an hour ago (clock skew)", "stripe", [PLAIN],
     sign("stripe", PLAIN.encode(), body, ts=NOW - 3600), body, "invalid", hints=["clock_skew"],
     failed=["timestamp_window"])
body = b"token=x&team_id=T1&text=later"
case("slack: valid signature, timestamp 15 minutes ahead (clock skew)", "slack", [PLAIN],
     sign("slack", PLAIN.encode(), body, ts=NOW + 900), body, "invalid", hints=["clock_skew"],
     failed=["timestamp_window"])

# ---------------------------------------------------------------- failures with nothing to confirm
body = compact(ORDER)
case("tampered body: no variant matches, no hints", "github", [PLAIN],
     sign("github", PLAIN.encode(), body.replace(b"4200", b"4201")), body, "invalid", failed=["signature"])
case("no signature header", "github", [PLAIN], {"X-GitHub-Event": "push"}, body, "invalid",
     failed=["signature_header", "signature"])
case("no known header and no scheme: nothing detected", None, [PLAIN], {"X-Other-Signature": "abc"}, body, "invalid",
     failed=["scheme"])

# ---------------------------------------------------------------- the request line and public keys
# Schemes that sign the URL/method (square, hubspot, trello, twilio) and public-key schemes
# (discord, sendgrid, standard v1a). These cases carry `url`, `method` and `public_keys`. The MACs
# are Python's hmac; Ed25519 and ECDSA P-256 signatures come from tests/vectors/pure_asym.py
# (pure Python, checked against RFC 8032's vectors), never from hookverify.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pure_asym  # noqa: E402

URL_SCHEMES = {
    # name: (algorithm, signature header, template over url/method/body/params/timestamp, ts header)
    "square": ("sha256", "x-square-hmacsha256-signature", "{url}{body}", None),
    "hubspot": ("sha256", "X-HubSpot-Signature-v3", "{method}{url}{body}{timestamp}", "X-HubSpot-Request-Timestamp"),
    "trello": ("sha1", "X-Trello-Webhook", "{body}{url}", None),
    "twilio": ("sha1", "X-Twilio-Signature", "{url}{form_params}", None),
}
SQUARE_KEY = "sq-Wk3Pz9Lr2Nt7"
HUBSPOT_KEY = "hs-Qm8Rv4Xy1Bc6"
TRELLO_KEY = "tr-Jd5Hs2Fg9Kl3"
TWILIO_TOKEN = "tw-Ny7Cv3Bx8Zm4"


def form_params(body):
    """Twilio's canonical parameters: decoded names sorted, each followed by its sorted values."""
    from urllib.parse import parse_qsl

    pairs = parse_qsl(body.decode(), keep_blank_values=True)
    out = ""
    for name in sorted({k for k, _ in pairs}):
        for value in sorted({v for k, v in pairs if k == name}):
            out += name + value
    return out.encode()


def url_mac(scheme, secret, url, body, method="POST", ts=None, params=None):
    alg, _, template, _ = URL_SCHEMES[scheme]
    if params is None:
        params = form_params(body) if "{form_params}" in template else b""
    msg = template.encode()
    for field, value in (("{method}", method.encode()), ("{url}", url.encode()), ("{timestamp}", (ts or "").encode()),
                         ("{form_params}", params), ("{body}", body)):
        msg = msg.replace(field.encode(), value)
    return base64.b64encode(mac(alg, secret.encode(), msg)).decode()


def url_headers(scheme, secret, url, body, method="POST", ts=None, params=None):
    _, header, _, ts_header = URL_SCHEMES[scheme]
    h = {header: url_mac(scheme, secret, url, body, method, ts, params)}
    if ts_header:
        h[ts_header] = ts
    return h


def request_case(comment, scheme, secrets, headers, body, result, url=None, method=None, public_keys=(), hints=(),
                 failed=(), key_index=None, event=None, received_ts=None):
    """A case with a request line and/or public keys (the fields `url`, `method`, `public_keys`)."""
    forbidden = sent_signatures(headers)
    if scheme in URL_SCHEMES and URL_SCHEMES[scheme][1] in headers:
        forbidden.append(headers[URL_SCHEMES[scheme][1]])
    if scheme in URL_SCHEMES and url is not None:
        forbidden += [url_mac(scheme, s, url, body, method or "POST", received_ts) for s in secrets]
    t = {"tcId": len(tests) + 1, "comment": comment, "scheme": scheme, "secrets": list(secrets), "headers": headers}
    t["body"] = body.decode("utf-8")
    if url is not None:
        t["url"] = url
    if method is not None:
        t["method"] = method
    if public_keys:
        t["public_keys"] = list(public_keys)
    t.update({"now": NOW, "result": result, "scheme_used": scheme, "detected": False, "key_index": key_index,
              "event": event, "hints": list(hints), "failed_checks": list(failed),
              "forbidden": sorted(set(forbidden))})
    tests.append(t)


SQUARE_EVENT = b'{"merchant_id":"M1","type":"payment.updated","event_id":"e-501","created_at":"2023-11-14T22:13:20Z","data":{"id":"p1"}}'
URL = "https://hooks.example.com/square?tenant=7"
request_case("square: valid with the URL the sender called", "square", [SQUARE_KEY],
             url_headers("square", SQUARE_KEY, URL, SQUARE_EVENT), SQUARE_EVENT, "valid", url=URL, key_index=0,
             event={"id": "e-501", "type": "payment.updated", "timestamp": 1700000000})
request_case("square: the receiver verified with http (a TLS-terminating proxy), the sender called https", "square",
             [SQUARE_KEY], url_headers("square", SQUARE_KEY, URL, SQUARE_EVENT), SQUARE_EVENT, "invalid",
             url=URL.replace("https:", "http:"), hints=["wrong_url"], failed=["signature"])
request_case("square: query parameters reordered by the receiver's framework", "square", [SQUARE_KEY],
             url_headers("square", SQUARE_KEY, "https://hooks.example.com/square?b=2&a=1", SQUARE_EVENT), SQUARE_EVENT,
             "invalid", url="https://hooks.example.com/square?a=1&b=2", hints=["wrong_url"], failed=["signature"])
h = url_headers("square", SQUARE_KEY, "https://hooks.example.com/square", SQUARE_EVENT)
h.update({"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hooks.example.com"})
request_case("square: behind a proxy, the receiver used its internal host and port; X-Forwarded-* name the sender's",
             "square", [SQUARE_KEY], h, SQUARE_EVENT, "invalid", url="http://10.0.0.5:8080/square", hints=["wrong_url"],
             failed=["signature"])
pretty = json.dumps(json.loads(SQUARE_EVENT), indent=2).encode()
request_case("square: the body was re-encoded (parsed and pretty-printed) before verifying", "square", [SQUARE_KEY],
             url_headers("square", SQUARE_KEY, URL, SQUARE_EVENT), pretty, "invalid", url=URL,
             hints=["body_reserialized"], failed=["signature"])
request_case("square: another host entirely (nothing in the request explains it): no hint", "square", [SQUARE_KEY],
             url_headers("square", SQUARE_KEY, "https://other.example.net/square", SQUARE_EVENT), SQUARE_EVENT,
             "invalid", url="https://hooks.example.com/square", failed=["signature"])

HS_BODY = b'[{"eventId":101,"subscriptionType":"contact.creation","occurredAt":1700000000000}]'
HS_URL = "https://hooks.example.com/hubspot"
HS_TS = str(NOW * 1000)
request_case("hubspot: valid (method, URL, body, ms timestamp)", "hubspot", [HUBSPOT_KEY],
             url_headers("hubspot", HUBSPOT_KEY, HS_URL, HS_BODY, "POST", HS_TS), HS_BODY, "valid", url=HS_URL,
             method="POST", key_index=0, event={"id": "101", "type": "contact.creation", "timestamp": 1700000000})
request_case("hubspot: the receiver added the port it listens on (:443)", "hubspot", [HUBSPOT_KEY],
             url_headers("hubspot", HUBSPOT_KEY, HS_URL, HS_BODY, "POST", HS_TS), HS_BODY, "invalid",
             url="https://hooks.example.com:443/hubspot", method="POST", hints=["wrong_url"], failed=["signature"],
             received_ts=HS_TS)

TR_BODY = b'{"action":{"id":"a-1","type":"updateCard","date":"2023-11-14T22:13:20.000Z"},"model":{"id":"m1"}}'
h = url_headers("trello", TRELLO_KEY, "https://hooks.example.com/api/trello", TR_BODY)
h["X-Forwarded-Prefix"] = "/api"
request_case("trello: a proxy stripped the /api path prefix (X-Forwarded-Prefix names it)", "trello", [TRELLO_KEY], h,
             TR_BODY, "invalid", url="https://hooks.example.com/trello", hints=["wrong_url"], failed=["signature"])
request_case("trello: the receiver kept a query string the sender's URL does not have", "trello", [TRELLO_KEY],
             url_headers("trello", TRELLO_KEY, "https://hooks.example.com/trello", TR_BODY), TR_BODY, "invalid",
             url="https://hooks.example.com/trello?debug=1", hints=["wrong_url"], failed=["signature"])

TW_URL = "https://hooks.example.com/twilio/sms"
TW_FORM = b"AccountSid=AC1&Body=hi+there&From=%2B15550002&To=%2B15550001"
request_case("twilio: valid form parameters", "twilio", [TWILIO_TOKEN], url_headers("twilio", TWILIO_TOKEN, TW_URL, TW_FORM),
             TW_FORM, "valid", url=TW_URL, key_index=0, failed=["event"])
request_case("twilio: the framework parsed the form first; the body handed over is empty", "twilio", [TWILIO_TOKEN],
             url_headers("twilio", TWILIO_TOKEN, TW_URL, TW_FORM), b"", "invalid", url=TW_URL,
             hints=["form_params_missing"], failed=["signature"])
TW_JSON = b'{"event":"message.delivered","sid":"SM1"}'
TW_JSON_URL = TW_URL + "?bodySHA256=" + hashlib.sha256(TW_JSON).hexdigest()
request_case("twilio: JSON body, the receiver's URL lost the bodySHA256 query parameter", "twilio", [TWILIO_TOKEN],
             url_headers("twilio", TWILIO_TOKEN, TW_JSON_URL, TW_JSON, params=b""), TW_JSON, "invalid", url=TW_URL,
             hints=["wrong_url"], failed=["signature"])

DISCORD_SEED = hashlib.sha256(b"hookverify diagnose discord key").digest()
DISCORD_OTHER = hashlib.sha256(b"hookverify diagnose another discord key").digest()
DISCORD_PUBLIC = pure_asym.ed25519_public(DISCORD_SEED).hex()
DISCORD_OTHER_PUBLIC = pure_asym.ed25519_public(DISCORD_OTHER).hex()
DC_BODY = b'{"id":"i-1","type":2,"data":{"name":"ping"}}'
dc_headers = {"X-Signature-Ed25519": pure_asym.ed25519_sign(DISCORD_SEED, str(NOW).encode() + DC_BODY).hex(),
              "X-Signature-Timestamp": str(NOW)}
request_case("discord: valid Ed25519 signature with the application's public key", "discord", [], dc_headers, DC_BODY,
             "valid", public_keys=[DISCORD_PUBLIC], key_index=0, event={"id": "i-1", "type": "2", "timestamp": None})
request_case("discord: the public key of another application", "discord", [], dc_headers, DC_BODY, "invalid",
             public_keys=[DISCORD_OTHER_PUBLIC], hints=["wrong_public_key"], failed=["signature"])

SG_D = int.from_bytes(hashlib.sha256(b"hookverify diagnose sendgrid key").digest(), "big") % pure_asym._PN
SG_KEY = pure_asym.p256_spki_base64(SG_D)
SG_BODY = b'[{"email":"a@example.com","event":"delivered","sg_event_id":"sg-1"}]\r\n'
sg_headers = {"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(
    pure_asym.p256_sign_der(SG_D, str(NOW).encode() + SG_BODY)).decode(),
    "X-Twilio-Email-Event-Webhook-Timestamp": str(NOW)}
request_case("sendgrid: valid ECDSA P-256 signature over the body and its final CRLF", "sendgrid", [], sg_headers,
             SG_BODY, "valid", public_keys=[SG_KEY], key_index=0,
             event={"id": "sha256:" + hashlib.sha256(SG_BODY).hexdigest(), "type": "events", "timestamp": None})
request_case("sendgrid: the receiver stripped the body's trailing CRLF", "sendgrid", [], sg_headers, SG_BODY[:-2],
             "invalid", public_keys=[SG_KEY], hints=["body_line_endings"], failed=["signature"])

STD_SEED = hashlib.sha256(b"hookverify diagnose standard v1a key").digest()
STD_PUBLIC = "whpk_" + base64.b64encode(pure_asym.ed25519_public(STD_SEED)).decode()
std_body = compact(STANDARD_EVENT)
std_headers = {"webhook-id": "msg_v1a", "webhook-timestamp": str(NOW), "webhook-signature": "v1a," + base64.b64encode(
    pure_asym.ed25519_sign(STD_SEED, b"msg_v1a." + str(NOW).encode() + b"." + std_body)).decode()}
request_case("standard: a v1a (Ed25519) signature and the endpoint's whpk_ public key", "standard", [], std_headers,
             std_body, "valid", public_keys=[STD_PUBLIC], key_index=0,
             event={"id": "msg_v1a", "type": "user.created", "timestamp": 1700000000})

out = {
    "description": "Cases for hookverify diagnose: checks, validity and MAC-confirmed hint codes. "
                   "A report must never contain a 6-character piece of a secret or of a `forbidden` string.",
    "generator": "tests/vectors/gen_diagnose.py (Python standard library only)",
    "now_default": NOW,
    "custom_schemes": CUSTOM,
    "numberOfTests": len(tests),
    "tests": tests,
}
codes = {c for t in tests for c in t["hints"]}
want = {"body_reserialized", "body_line_endings", "body_charset", "secret_encoding", "secret_whitespace",
        "secret_wrong_key", "wrong_encoding", "wrong_algorithm", "wrong_scheme", "timestamp_unit", "clock_skew",
        "wrong_url", "form_params_missing", "wrong_public_key"}
assert codes == want, want - codes
with open(OUT, "w", encoding="utf-8") as f:
    f.write(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
print("wrote %d cases to %s" % (len(tests), OUT))
