#!/usr/bin/env python3
"""Generates tests/vectors/handshakes.json: the receiver's handshake answers (issue 19 item 5).

Python standard library only. Every signature is computed here with Python's hmac/hashlib, never
with hookverify's signer; every expected answer is written from the provider's documented reply
format (the `provenance` of each case names its source; facts from /work/research19/catalog.md §3).
Run: python3 tests/vectors/gen_handshakes.py > tests/vectors/handshakes.json
"""

import hashlib
import hmac
import json
import urllib.parse

JSON = [["Content-Type", "application/json"], ["X-Content-Type-Options", "nosniff"], ["Cache-Control", "no-store"]]
TEXT = [
    ["Content-Type", "text/plain; charset=utf-8"],
    ["X-Content-Type-Options", "nosniff"],
    ["Cache-Control", "no-store"],
]


def compact(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"))


def hexmac(key, msg):
    return hmac.new(key.encode(), msg.encode(), hashlib.sha256).hexdigest()


def error(status, code, message, extra=()):
    return {
        "status": status,
        "headers": [["Content-Type", "application/json"], *extra],
        "body": compact({"error": {"code": code, "message": message}}),
    }


def rejected(reason):
    return error(403, "handshake_rejected", f"handshake rejected: {reason}")


def ok(headers, body):
    return {"status": 200, "headers": headers, "body": body}


def req(method, path, headers, body, now, expect):
    return {"method": method, "path": path, "headers": headers, "body": body, "now": now, "expect": expect}


cases = []

# Slack url_verification: body from https://api.slack.com/events/url_verification; the request is
# signed like every Events API request (v0:{ts}:{body}, hex HMAC-SHA256), secret from Slack's
# "verifying requests" docs example. Reply: 200 with the challenge (JSON {"challenge"} chosen).
slack_secret = "8f742231b10e8888abcd99yyyzzz85a5"
slack_body = '{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}'
slack_ts = "1531420618"
slack_sig = "v0=" + hexmac(slack_secret, f"v0:{slack_ts}:{slack_body}")
cases.append(
    {
        "name": "slack url_verification: verified, then the challenge",
        "provenance": "https://api.slack.com/events/url_verification (body, reply); signature computed with Python hmac",
        "config": {"providers": [{"scheme": "slack", "secret": slack_secret}], "routes": [{"pattern": "*"}]},
        "requests": [
            req(
                "POST",
                "/slack/events",
                {"X-Slack-Signature": slack_sig, "X-Slack-Request-Timestamp": slack_ts},
                slack_body,
                int(slack_ts),
                ok(JSON, compact({"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"})),
            ),
            req(
                "POST",
                "/slack/events",
                {
                    "X-Slack-Signature": "v0=" + hexmac("wrong", f"v0:{slack_ts}:{slack_body}"),
                    "X-Slack-Request-Timestamp": slack_ts,
                },
                slack_body,
                int(slack_ts),
                error(
                    401,
                    "no_matching_signature",
                    "no matching signature: 1 signature(s) in X-Slack-Signature, none matched a live secret (was the raw body used, unmodified?)",
                ),
            ),
            req(
                "GET",
                "/slack/events",
                {},
                "",
                int(slack_ts),
                error(
                    405,
                    "method_not_allowed",
                    "method not allowed: webhooks are POSTed here (a GET request is no handshake this endpoint answers)",
                    [["Allow", "POST"]],
                ),
            ),
        ],
    }
)

# Zoom endpoint.url_validation: body from Zoom's webhook docs; reply {plainToken, encryptedToken =
# hex HMAC-SHA256(secret token, plainToken)}; the request is signed (v0:{ts}:{body}).
zoom_secret = "zoom-secret-token-hv19"
zoom_body = (
    '{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}'
)
zoom_ts = "1654503849"
zoom_sig = "v0=" + hexmac(zoom_secret, f"v0:{zoom_ts}:{zoom_body}")
cases.append(
    {
        "name": "zoom endpoint.url_validation: verified, then plainToken and its HMAC",
        "provenance": "https://developers.zoom.us/docs/api/webhooks/#validate-your-webhook-endpoint (body, reply format); HMAC computed with Python hmac",
        "config": {"providers": [{"scheme": "zoom", "secret": zoom_secret}], "routes": [{"pattern": "*"}]},
        "requests": [
            req(
                "POST",
                "/zoom",
                {"x-zm-signature": zoom_sig, "x-zm-request-timestamp": zoom_ts},
                zoom_body,
                int(zoom_ts),
                ok(
                    JSON,
                    compact(
                        {
                            "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
                            "encryptedToken": hexmac(zoom_secret, "qgg8vlvZRS6UYooatFL8Aw"),
                        }
                    ),
                ),
            ),
            req(
                "POST",
                "/zoom",
                {"x-zm-signature": "v0=" + "00" * 32, "x-zm-request-timestamp": zoom_ts},
                zoom_body,
                int(zoom_ts),
                error(
                    401,
                    "no_matching_signature",
                    "no matching signature: 1 signature(s) in x-zm-signature, none matched a live secret (was the raw body used, unmodified?)",
                ),
            ),
        ],
    }
)

# Discord PING ({"type":1} -> {"type":1}) over a Discord-like HMAC spec (the Ed25519 discord
# scheme is separate work): the kind is generic over the scheme, verified first.
disc_secret = "discordish-secret"
disc_body = '{"application_id":"123","id":"ping-1","type":1,"version":1}'
disc_ts = "1700000000"
cases.append(
    {
        "name": 'discord PING over a Discord-like HMAC scheme: verified, then {"type":1}',
        "provenance": "https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint (PING type 1, reply type 1 PONG); HMAC stands in for Ed25519, computed with Python hmac",
        "config": {
            "providers": [
                {
                    "scheme": {
                        "name": "discordish",
                        "signature_header": "X-Signature-Hmac",
                        "signed_content": "{timestamp}{body}",
                        "timestamp_header": "X-Signature-Timestamp",
                        "handshakes": ["discord_ping"],
                        "event": {"id": "/id", "type": "/data/name", "timestamp": None, "data": "/data"},
                    },
                    "secret": disc_secret,
                }
            ],
            "routes": [{"pattern": "*"}],
        },
        "requests": [
            req(
                "POST",
                "/interactions",
                {"X-Signature-Hmac": hexmac(disc_secret, disc_ts + disc_body), "X-Signature-Timestamp": disc_ts},
                disc_body,
                int(disc_ts),
                ok(JSON, '{"type":1}'),
            ),
            req(
                "POST",
                "/interactions",
                {"X-Signature-Hmac": hexmac("nope", disc_ts + disc_body), "X-Signature-Timestamp": disc_ts},
                disc_body,
                int(disc_ts),
                error(
                    401,
                    "no_matching_signature",
                    "no matching signature: 1 signature(s) in X-Signature-Hmac, none matched a live secret (was the raw body used, unmodified?)",
                ),
            ),
        ],
    }
)

# Twitch EventSub webhook_callback_verification: signature = sha256= hex HMAC(secret, id + timestamp
# + body); reply 200 text/plain with the raw challenge. Body and headers after Twitch's docs example.
tw_secret = "twitch-secret-hv19-0123"
tw_id = "e76c6bd4-55c9-4987-8304-da1588d8988b"
tw_ts = "2019-11-16T10:11:12.634234626Z"
tw_body = '{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","status":"webhook_callback_verification_pending","type":"channel.follow","version":"1","condition":{"broadcaster_user_id":"12826"},"transport":{"method":"webhook","callback":"https://example.com/webhooks/callback"},"created_at":"2019-11-16T10:11:12.634234626Z"}}'
tw_spec = {
    "name": "twitchish",
    "signature_header": "Twitch-Eventsub-Message-Signature",
    "prefix": "sha256=",
    "signed_content": "{id}{timestamp}{body}",
    "id_header": "Twitch-Eventsub-Message-Id",
    "timestamp_header": "Twitch-Eventsub-Message-Timestamp",
    "timestamp_format": "rfc3339",
    "tolerance_seconds": 600,
    "handshakes": ["twitch_callback_verification"],
    "event": {
        "id": {"header": "Twitch-Eventsub-Message-Id"},
        "type": "/subscription/type",
        "timestamp": None,
        "data": "/event",
    },
}
tw_headers = {
    "Twitch-Eventsub-Message-Id": tw_id,
    "Twitch-Eventsub-Message-Timestamp": tw_ts,
    "Twitch-Eventsub-Message-Type": "webhook_callback_verification",
    "Twitch-Eventsub-Message-Signature": "sha256=" + hexmac(tw_secret, tw_id + tw_ts + tw_body),
}
cases.append(
    {
        "name": "twitch webhook_callback_verification: verified, then the raw challenge as text/plain",
        "provenance": "https://dev.twitch.tv/docs/eventsub/handling-webhook-events/ (signature recipe, challenge reply); HMAC computed with Python hmac",
        "config": {"providers": [{"scheme": tw_spec, "secret": tw_secret}], "routes": [{"pattern": "*"}]},
        "requests": [
            req("POST", "/twitch", tw_headers, tw_body, 1573899072, ok(TEXT, "pogchamp-kappa-360noscope-vohiyo")),
            req(
                "POST",
                "/twitch",
                {
                    **tw_headers,
                    "Twitch-Eventsub-Message-Signature": "sha256="
                    + hexmac("other-secret-000", tw_id + tw_ts + tw_body),
                },
                tw_body,
                1573899072,
                error(
                    401,
                    "no_matching_signature",
                    "no matching signature: 1 signature(s) in Twitch-Eventsub-Message-Signature, none matched a live secret (was the raw body used, unmodified?)",
                ),
            ),
        ],
    }
)


# Meta / WhatsApp GET subscription check: hub.verify_token compared with the configured token.
def meta_q(token, challenge="1158201444"):
    return "/meta?" + urllib.parse.urlencode(
        {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": token}
    )


cases.append(
    {
        "name": "meta GET hub.mode=subscribe: the challenge when the verify token matches, else 403",
        "provenance": "https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests (GET params; reply the challenge, else an error)",
        "config": {
            "providers": [
                {"scheme": "meta", "secret": "meta-app-secret", "verify_tokens": ["meta-verify-old", "meta-verify-1"]}
            ],
            "routes": [{"pattern": "*"}],
        },
        "requests": [
            req("GET", meta_q("meta-verify-1"), {}, "", 1700000000, ok(TEXT, "1158201444")),
            req(
                "GET",
                meta_q("meta-verify-2"),
                {},
                "",
                1700000000,
                rejected("hub.verify_token matches no configured verify token"),
            ),
            req(
                "GET",
                meta_q("meta-verify-1", "<script>alert(1)</script>"),
                {},
                "",
                1700000000,
                ok(TEXT, "<script>alert(1)</script>"),
            ),
            req(
                "GET",
                meta_q("meta-verify-1", "a\nb"),
                {},
                "",
                1700000000,
                rejected("the challenge must be visible ASCII"),
            ),
            req(
                "GET",
                meta_q("meta-verify-1", "9" * 2049),
                {},
                "",
                1700000000,
                rejected("the challenge must be 1 to 2048 bytes"),
            ),
            req(
                "GET",
                "/meta?hub.mode=unsubscribe",
                {},
                "",
                1700000000,
                error(
                    405,
                    "method_not_allowed",
                    "method not allowed: webhooks are POSTed here (a GET request is no handshake this endpoint answers)",
                    [["Allow", "POST"]],
                ),
            ),
        ],
    }
)
cases.append(
    {
        "name": "meta GET without a configured verify token: refused",
        "provenance": "hookverify policy: never echo unless the check passes",
        "config": {"providers": [{"scheme": "meta", "secret": "meta-app-secret"}], "routes": [{"pattern": "*"}]},
        "requests": [
            req(
                "GET",
                meta_q("anything"),
                {},
                "",
                1700000000,
                rejected("no verify token is configured for this provider"),
            )
        ],
    }
)

generic = lambda name, kind: {"name": name, "signature_header": "X-Signature-" + name, "handshakes": [kind]}

cases.append(
    {
        "name": "dropbox GET challenge: echoed as text/plain with nosniff",
        "provenance": "https://www.dropbox.com/developers/reference/webhooks (GET ?challenge=; reply text/plain + X-Content-Type-Options: nosniff)",
        "config": {
            "providers": [{"scheme": generic("dropbox", "dropbox_challenge"), "secret": "dbx-app-secret"}],
            "routes": [{"pattern": "*"}],
        },
        "requests": [
            req("GET", "/dropbox?challenge=Vq1kNH6Tdcg3gvN7", {}, "", 1700000000, ok(TEXT, "Vq1kNH6Tdcg3gvN7")),
            req(
                "GET",
                "/dropbox?challenge=a&challenge=b",
                {},
                "",
                1700000000,
                rejected("the challenge parameter is repeated"),
            ),
            req("GET", "/dropbox?challenge=%00", {}, "", 1700000000, rejected("the challenge must be visible ASCII")),
        ],
    }
)
cases.append(
    {
        "name": "asana X-Hook-Secret: echoed in the response header",
        "provenance": "https://developers.asana.com/docs/webhooks-guide (handshake POST with X-Hook-Secret; reply 200/204 echoing the header)",
        "config": {
            "providers": [
                {
                    "scheme": generic("asana", "asana_hook_secret") | {"signature_header": "X-Hook-Signature"},
                    "secret": "asana-secret",
                }
            ],
            "routes": [{"pattern": "*"}],
        },
        "requests": [
            req(
                "POST",
                "/asana",
                {"X-Hook-Secret": "b537207f20cbfa02357cf448134da559"},
                "",
                1700000000,
                ok(JSON + [["X-Hook-Secret", "b537207f20cbfa02357cf448134da559"]], '{"ok":true}'),
            ),
        ],
    }
)
graph_token = "Validation: Testing client application reachability for subscription Request-Id: 3b3f9821-ce3f-23d9-879b-00a23f3 2019-02-26"
cases.append(
    {
        "name": "microsoft graph validationToken: decoded and echoed as text/plain",
        "provenance": "https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks (POST ?validationToken=<url-encoded>; reply 200 text/plain with the decoded token)",
        "config": {
            "providers": [{"scheme": generic("msgraph", "graph_validation_token"), "secret": "graph-client-state"}],
            "routes": [{"pattern": "*"}],
        },
        "requests": [
            req(
                "POST",
                "/graph?validationToken=" + urllib.parse.quote(graph_token, safe=""),
                {"Content-Type": "text/plain"},
                "",
                1700000000,
                ok(TEXT, graph_token),
            ),
        ],
    }
)
cases.append(
    {
        "name": 'okta one-time verification: {"verification": value}',
        "provenance": "https://developer.okta.com/docs/concepts/event-hooks/#one-time-verification-request (GET with X-Okta-Verification-Challenge; reply JSON {verification})",
        "config": {"providers": [{"scheme": "okta", "secret": "okta-auth-header-value"}], "routes": [{"pattern": "*"}]},
        "requests": [
            req(
                "GET",
                "/okta",
                {"X-Okta-Verification-Challenge": "VmW6YBp3p1fFXG8k3v3rQ0fKr6h3d9oP"},
                "",
                1700000000,
                ok(JSON, compact({"verification": "VmW6YBp3p1fFXG8k3v3rQ0fKr6h3d9oP"})),
            ),
        ],
    }
)

doc = {
    "provenance": "Generated by tests/vectors/gen_handshakes.py (Python standard library only). Signatures and Zoom's encryptedToken computed with Python hmac/hashlib, never with hookverify's signer. Reply formats from each provider's docs (per case `provenance`; facts collected in the issue 19 research catalog §3).",
    "format": "As receiver-decisions.json: cases[]: one receiver from `config` (the core's ReceiverConfig), then each request in order (`method`, `path` with query, `headers` object, `body`, `now`); every request is answered by the core (no handler runs). `expect`: status, headers [[name, value]] in order, body (exact bytes).",
    "cases": cases,
}
print(json.dumps(doc, indent=1, ensure_ascii=True))
