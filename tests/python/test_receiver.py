"""hv.Receiver (the building block the integrations share), hv.Router, hv.MemoryStore, the GIL."""

import asyncio
import socket
import threading

import pytest
from conftest import GH_SECRET, WHSEC, envelope, free_port, gh_headers, gil_probe, std_headers

import hookverify as hv

NOW = 1_700_000_000


def receiver(mode="sync", **kw):
    return hv.Receiver(scheme="standard", secret=WHSEC, mode=mode, **kw)


def test_sync_success_duplicate_and_failure_release():
    r, seen = receiver(), []
    r.on("user.created", seen.append)
    body = envelope()
    h = std_headers(body, "msg_a", NOW)
    d = r.begin("/hooks?x=1", body, h, now=NOW)
    assert isinstance(d, hv.Delivery)
    assert (d.provider, d.path, d.query, d.sync, d.event.id, d.event.type) == (
        "standard",
        "/hooks",
        "x=1",
        True,
        "msg_a",
        "user.created",
    )
    assert d.key == "|standard|msg_a" and d.token >= 1 and d.handlers == [seen.append]
    busy = r.begin("/hooks", body, h, now=NOW)
    assert busy.status == 409 and ("Retry-After", "60") in busy.headers and busy.json()["in_progress"]
    assert r.complete(d).status == 200 and len(seen) == 1
    dup = r.handle("/hooks", body, h, now=NOW)
    assert dup.status == 200 and dup.json() == {"ok": True, "id": "msg_a", "duplicate": True}
    assert len(seen) == 1

    calls = []

    def flaky(event):
        calls.append(event.id)
        if len(calls) == 1:
            raise RuntimeError("downstream is down")

    r.on("user.deleted", flaky)
    body = envelope("user.deleted")
    h = std_headers(body, "msg_b", NOW)
    failed = r.handle("/hooks", body, h, now=NOW)
    assert failed.status == 500 and failed.error.code == "handler_failed"
    assert r.handle("/hooks", body, h, now=NOW).status == 200
    assert calls == ["msg_b", "msg_b"]


def test_handlers_declaring_delivery_get_the_fencing_token():
    r, got = receiver(), []

    def plain(event):
        got.append(("plain", event.id))

    def with_token(event, delivery):
        got.append(("token", delivery.token, delivery.provider, delivery.query))

    async def async_with_token(event, delivery):
        got.append(("async", delivery.token))

    for handler in (plain, with_token, async_with_token):
        r.on("user.created", handler)
    body = envelope()
    first = r.begin("/hooks?src=a", body, std_headers(body, "msg_tok1", NOW), now=NOW)
    assert r.complete(first).status == 200
    second = r.begin("/hooks", body, std_headers(body, "msg_tok2", NOW), now=NOW)
    assert asyncio.run(r.run_async(second)) and r.finish(second, True).status == 200
    assert got[0] == ("plain", "msg_tok1")
    assert got[1] == ("token", first.token, "standard", "src=a")
    assert got[2] == ("async", first.token)
    assert got[4][0] == "token" and got[4][1] == second.token > first.token


def test_ack_policy_statuses():
    r = receiver(mode="async")
    r.on("user.created", lambda e: None)
    body = envelope()
    h = std_headers(body, "msg_c", NOW)
    bad = r.begin("/h", body + b" ", h, now=NOW)
    assert bad.status == 401 and bad.error.code == "no_matching_signature"
    assert r.begin("/h", body, h, now=NOW + 3600).error.code == "timestamp_too_old"
    assert r.begin("/h", body, {}, now=NOW).status == 401
    junk = b"not json"
    assert r.begin("/h", junk, std_headers(junk, "msg_j", NOW), now=NOW).status == 400
    other = envelope("invoice.paid")
    unhandled = r.begin("/h", other, std_headers(other, "msg_u", NOW), now=NOW)
    assert unhandled.status == 202 and unhandled.json()["handled"] is False
    sync_h = {**std_headers(other, "msg_u", NOW), "Hookverify-Sync": "true"}
    assert r.begin("/h", other, sync_h, now=NOW).status == 200, "sync acknowledges an unhandled type"
    d = r.begin("/h", body, h, now=NOW)
    assert not d.sync and r.accepted(d).status == 202
    small = hv.Receiver(scheme="standard", secret=WHSEC, max_body_bytes=8)
    small.on("*", print)
    assert small.begin("/h", body, h, now=NOW).status == 413
    assert small.too_large(9).status == 413 and small.too_large(8) is None and small.too_large(None) is None


def test_async_handle_runs_on_the_pool_then_completes():
    r, seen = receiver(mode="async"), []
    r.on("user.*", lambda e: seen.append(threading.current_thread().name))
    body = envelope()
    h = std_headers(body, "msg_p", NOW)
    assert r.handle("/h", body, h, now=NOW).status == 202
    assert r.wait(5)
    assert len(seen) == 1 and seen[0].startswith("hookverify")
    assert r.handle("/h", body, h, now=NOW).status == 200


def test_multi_provider_first_match_wins_and_scopes():
    github = hv.Provider("github", scheme="github", secret=GH_SECRET)
    std = hv.Provider("std", hv.Verifier(scheme="standard", secret=WHSEC))
    tagged = hv.Provider("tagged", scheme="github", secret="other", match=("X-Source", "tagged"))
    r = hv.Receiver([tagged, github, std], mode="sync")
    got = []
    r.on("*", lambda e: got.append(("gh", e.type)), provider="github")
    r.on("*", lambda e: got.append(("std", e.type)), provider="std", path="/only")
    body = b'{"action":"opened"}'
    assert r.handle("/any", body, gh_headers(body, "d1")).status == 200
    assert got == [("gh", "issues.opened")]
    sbody = envelope()
    elsewhere = r.handle("/elsewhere", sbody, std_headers(sbody, "m1"))
    assert elsewhere.status == 200 and elsewhere.json()["handled"] is False
    assert r.handle("/only", sbody, std_headers(sbody, "m1")).status == 200
    assert got[-1] == ("std", "user.created")
    # The tagged provider matches first and its secret does not verify GitHub's signature.
    assert r.handle("/any", body, {**gh_headers(body, "d2"), "X-Source": "tagged"}).status == 401
    with pytest.raises(hv.HookverifyError) as err:
        hv.Provider("x", scheme="github", secret="s", match=5)
    assert err.value.code == "invalid_argument"


def test_router_uses_core_matching():
    router = hv.Router()
    router.on("user.created", "exact")
    router.on("user.*", "prefix")
    router.on("issues", "issues")
    router.on("*", "any")
    # "*" is a fallback: only where no specific pattern matched (it ran beside them before).
    assert router.matches("user.created") == ["exact", "prefix"]
    assert router.matches("issues.opened") == ["issues"]
    assert router.matches("users.created") == ["any"]
    only = hv.Router()
    only.on("a")(lambda e: e.type)
    only.unhandled(lambda e: "fallback")
    assert only.matches("b") and only.matches("b")[0](None) == "fallback"
    assert hv._native.type_matches("user.*", "user") is False


def test_async_handlers_are_awaited():
    r, seen = receiver(), []

    async def handler(event):
        await asyncio.sleep(0)
        seen.append(event.id)

    r.on("*", handler)
    body = envelope()
    assert r.handle("/h", body, std_headers(body, "msg_aw", NOW), now=NOW).status == 200
    d = r.begin("/h", body, std_headers(body, "msg_aw2", NOW), now=NOW)
    assert asyncio.run(r.complete_async(d)).status == 200
    assert seen == ["msg_aw", "msg_aw2"]


def test_bad_options_are_invalid_argument():
    for build in (
        lambda: hv.Receiver(scheme="standard", secret=WHSEC, mode="later"),
        lambda: hv.Receiver([], store=hv.MemoryStore()),
        lambda: hv.Receiver(scheme="standard", secret=WHSEC, store="redis://"),
        lambda: hv.Receiver(scheme="standard", secret=WHSEC, lease=0),
        lambda: hv.MemoryStore(0),
        lambda: hv.RedisStore("not a url"),
        lambda: hv.RedisStore(timeout=0),
    ):
        with pytest.raises(hv.HookverifyError) as err:
            build()
        assert err.value.code == "invalid_argument"


def test_store_reprs_hide_the_redis_url():
    store = hv.RedisStore("redis://:hunter2@127.0.0.1:1/0", prefix="app:")
    assert "hunter2" not in repr(store) and "hunter2" not in repr(
        hv.Receiver(scheme="standard", secret=WHSEC, store=store)
    )
    assert WHSEC not in repr(hv.Receiver(scheme="standard", secret=WHSEC))


def test_one_store_shared_by_two_receivers():
    store, seen = hv.MemoryStore(10), []
    a, b = (receiver(store=store, namespace="shared") for _ in range(2))
    a.on("*", seen.append)
    b.on("*", seen.append)
    body = envelope()
    h = std_headers(body, "msg_s", NOW)
    assert a.handle("/a", body, h, now=NOW).status == 200
    assert b.handle("/b", body, h, now=NOW).json()["duplicate"] is True
    assert len(seen) == 1


def test_store_io_releases_the_gil():
    # A listener that accepts and never answers: the claim blocks on the read timeout.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        r = receiver(store=hv.RedisStore(f"redis://127.0.0.1:{port}/0", timeout=0.5))
        r.on("*", print)
        body = envelope()
        with gil_probe() as probe:
            decision = r.begin("/h", body, std_headers(body, "msg_g", NOW), now=NOW)
    assert decision.status == 503 and decision.error.code == "store_unavailable"
    assert probe.ran > 10, f"another thread ran {probe.ran} times while the store call blocked"


def test_unreachable_redis_is_503():
    r = receiver(store=hv.RedisStore(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5))
    r.on("*", print)
    body = envelope()
    d = r.handle("/h", body, std_headers(body, "msg_down", NOW), now=NOW)
    assert d.status == 503 and ("Retry-After", "5") in d.headers
    with pytest.raises(hv.HookverifyError) as err:
        d.raise_for_error()
    assert err.value.code == "store_unavailable"


@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview", "str"])
def test_delivery_event_payload_is_read_from_the_body_it_came_in(kind):
    # The core delivery holds no copy of the body; the event's payload is the body's own slice
    # (bytes, str) or of the binding's one copy of a mutable body, which later writes cannot reach.
    r = receiver()
    r.on("user.created", lambda e: None)
    raw = envelope(data={"name": "Zoë", "n": [1, 2]})
    body = {"bytes": raw, "bytearray": bytearray(raw), "memoryview": memoryview(bytearray(raw)), "str": raw.decode()}[
        kind
    ]
    d = r.begin("/hooks", body, std_headers(raw, f"msg_body_{kind}", NOW), now=NOW)
    assert isinstance(d, hv.Delivery)
    if kind in ("bytearray", "memoryview"):
        body[:1] = b"["  # the caller reuses its buffer; the delivery kept its own copy
    assert d.event.data_json == '{"name": "Zo\\u00eb", "n": [1, 2]}'
    assert d.event.data == {"name": "Zoë", "n": [1, 2]}
    assert r.complete(d).status == 200


def test_delivery_event_without_payload_is_null():
    r = receiver()
    r.on("ping", lambda e: None)
    body = b'{"type":"ping","timestamp":"2023-11-14T22:13:20Z"}'
    d = r.begin("/hooks", body, std_headers(body, "msg_nodata", NOW), now=NOW)
    assert (d.event.type, d.event.data_json, d.event.data) == ("ping", "null", None)
    assert r.complete(d).status == 200
