"""Async mode's handler queue: bounded (503 ``overloaded`` before any claim), a claim's lease
covers only the handlers' work (not the wait in the queue), and a lost lease is visible."""

import hashlib
import hmac
import json
import logging
import threading
import time
from collections import Counter

import hookverify as hv
from hookverify.fastapi import Webhook

SECRET = "whsec_async_queue_test"


def stripe(event_id: str, event_type: str = "invoice.paid"):
    """(body, headers) of a Stripe delivery signed with Python's hmac (Stripe keys the MAC with the whole secret text)."""
    ts = int(time.time())
    body = json.dumps({"id": event_id, "type": event_type, "created": ts, "data": {"object": {}}}).encode()
    sig = hmac.new(SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={ts},v1={sig}"}


def test_full_queue_answers_503_before_claiming():
    store = hv.MemoryStore()
    r = hv.Receiver(scheme="stripe", secret=SECRET, store=store, mode="async", max_workers=1, max_queue=2)
    gate, seen = threading.Event(), []

    def handler(event):
        gate.wait(10)
        seen.append(event.id)

    r.on("*", handler)
    try:
        assert r.handle("/hooks", *stripe("evt_a")).status == 202  # running (blocked)
        assert r.handle("/hooks", *stripe("evt_b")).status == 202  # waiting
        full = r.handle("/hooks", *stripe("evt_c"))
        assert full.status == 503, full
        assert full.error is not None and full.error.code == "overloaded"
        assert ("Retry-After", "5") in full.headers
        assert "queue is full" in full.error.message
        # evt_c was not claimed: another receiver on the same store (same path and provider name,
        # hence the same dedup key) can claim it at once.
        probe = hv.Receiver(scheme="stripe", secret=SECRET, store=store, mode="sync")
        probe.on("*", lambda event: None)
        step = probe.begin("/hooks", *stripe("evt_c"))
        assert isinstance(step, hv.Delivery), step
        probe.finish(step, False)  # release it again
    finally:
        gate.set()
    assert r.wait(10)
    assert sorted(seen) == ["evt_a", "evt_b"]
    # The slots came back: the retried evt_c is accepted and runs.
    assert r.handle("/hooks", *stripe("evt_c")).status == 202
    assert r.wait(10) and sorted(seen) == ["evt_a", "evt_b", "evt_c"]


def test_overloaded_answer_for_any_max_queue():
    for size in (1, 2**70):
        d = hv.Receiver(scheme="stripe", secret=SECRET, max_queue=size).overloaded()
        assert d.status == 503 and d.error.code == "overloaded" and ("Retry-After", "5") in d.headers


def test_sync_requests_and_refusals_do_not_keep_slots():
    r = hv.Receiver(scheme="stripe", secret=SECRET, mode="async", max_queue=1)
    r.on("*", lambda event: None)
    assert r.handle("/hooks", *stripe("evt_done")).status == 202 and r.wait(10)
    for i in range(5):
        body, _ = stripe(f"evt_bad{i}")
        assert r.handle("/hooks", body, {"Stripe-Signature": "t=1,v1=" + "0" * 64}).status == 401
        body, headers = stripe(f"evt_sync{i}")
        assert r.handle("/hooks", body, {**headers, "Hookverify-Sync": "true"}).status == 200
        assert r.handle("/hooks", *stripe("evt_done")).json()["duplicate"] is True
    assert r.handle("/hooks", *stripe("evt_last")).status == 202
    assert r.wait(10)


def test_fastapi_endpoint_full_queue_is_503_before_claiming():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    store = hv.MemoryStore()
    hook = Webhook(scheme="stripe", secret=SECRET, store=store, mode="async", max_queue=1)
    ran = []
    hook.on("*", lambda event: ran.append(event.id))
    app = FastAPI()
    app.add_api_route("/hooks", hook.endpoint, methods=["POST"])
    client = TestClient(app)
    assert hook.receiver.reserve()  # the one slot is busy
    body, headers = stripe("evt_f")
    resp = client.post("/hooks", content=body, headers=headers)
    assert resp.status_code == 503 and resp.json()["error"]["code"] == "overloaded", resp.text
    assert resp.headers["retry-after"] == "5"
    hook.receiver.unreserve()
    resp = client.post("/hooks", content=body, headers=headers)  # not claimed before: runs now
    assert resp.status_code == 202, resp.text
    assert ran == ["evt_f"]
    assert client.post("/hooks", content=body, headers=headers).json()["duplicate"] is True


def test_backlog_longer_than_the_lease_does_not_run_a_duplicate(caplog):
    # The review's scenario: lease 1 s, one worker, 0.5 s handler, six events, then the sixth is
    # delivered again after 1.2 s, while its first copy still waits (its first claim has expired).
    r = hv.Receiver(scheme="stripe", secret=SECRET, mode="async", lease=1.0, max_workers=1)
    runs = []

    def slow(event, delivery):
        runs.append((event.id, delivery.token))
        time.sleep(0.5)

    r.on("*", slow)
    sixth = stripe("evt_5")
    with caplog.at_level(logging.INFO, logger="hookverify"):
        for i in range(5):
            assert r.handle("/hooks", *stripe(f"evt_{i}")).status == 202
        assert r.handle("/hooks", *sixth).status == 202
        time.sleep(1.2)
        again = r.handle("/hooks", *sixth)
        assert again.status in (202, 409), again  # 202: its first claim expired in the queue
        assert r.wait(15)
    counts = Counter(event_id for event_id, _ in runs)
    assert counts == {f"evt_{i}": 1 for i in range(6)}, runs
    # The handler-side token is the claim taken when the work started: strictly increasing here.
    tokens = [token for _, token in runs]
    assert tokens == sorted(tokens) and len(set(tokens)) == len(tokens), runs
    # Either copy may be the one that ran; the other was dropped with a log line saying why.
    messages = [rec.getMessage() for rec in caplog.records]
    skipped = [m for m in messages if "evt_5" in m and ("not run again" in m or "another delivery claimed it" in m)]
    assert again.status == 409 or len(skipped) == 1, messages


def test_lost_lease_is_logged_with_the_fencing_token(caplog):
    r = hv.Receiver(scheme="stripe", secret=SECRET, mode="async", lease=1.0, max_workers=2)
    runs = []

    def slow(event, delivery):
        runs.append(delivery.token)
        time.sleep(2.0)

    r.on("*", slow)
    delivery = stripe("evt_lost")
    with caplog.at_level(logging.WARNING, logger="hookverify"):
        assert r.handle("/hooks", *delivery).status == 202
        time.sleep(1.5)  # the first run's lease (1 s from its start) has expired; it runs 2 s
        assert r.handle("/hooks", *delivery).status == 202
        assert r.wait(10)
    assert len(runs) == 2 and runs[1] > runs[0], runs
    lost = [
        rec.getMessage()
        for rec in caplog.records
        if "lease" in rec.getMessage() and "expired before its handlers finished" in rec.getMessage()
    ]
    assert lost == [
        f"hookverify: the lease of event evt_lost (token {runs[0]}) expired before its handlers finished; "
        "another delivery may have run it too (its fencing token is higher)"
    ], lost


def test_fastapi_202_that_cannot_be_sent_still_runs_and_frees_its_slot():
    import asyncio

    import pytest

    from hookverify.fastapi import _Accepted

    r = hv.Receiver(scheme="stripe", secret=SECRET, mode="async", max_queue=1)
    ran = []
    r.on("*", lambda event: ran.append(event.id))

    async def scenario():
        assert r.reserve()
        step = await r.begin_async("/hooks", *stripe("evt_gone"))
        assert isinstance(step, hv.Delivery)
        response = _Accepted(r, step)

        async def send(message):
            raise OSError("the client went away")

        with pytest.raises(OSError):
            await response({"type": "http"}, None, send)
        await asyncio.gather(*list(r._tasks))

    asyncio.run(scenario())
    assert ran == ["evt_gone"]  # claimed and possibly acknowledged: it runs
    assert r.reserve(), "the slot came back"


def test_store_down_when_a_queued_delivery_starts_still_runs_it(caplog):
    # The documented trade-off: the sender was told 202, so a store failure at the moment a worker
    # starts the delivery does not drop it; it runs under its first claim, and that is logged.
    from conftest import RedisServer

    server = RedisServer()
    try:
        r = hv.Receiver(
            scheme="stripe", secret=SECRET, store=hv.RedisStore(server.url, timeout=0.5), mode="async", max_workers=1
        )
        gate, runs = threading.Event(), []

        def handler(event, delivery):
            if event.id == "evt_first":
                gate.wait(10)
            runs.append((event.id, delivery.token))

        r.on("*", handler)
        with caplog.at_level(logging.WARNING, logger="hookverify"):
            assert r.handle("/hooks", *stripe("evt_first")).status == 202
            assert r.handle("/hooks", *stripe("evt_queued")).status == 202
            server.stop()
            gate.set()
            assert r.wait(15)
    finally:
        server.stop()
    assert [event_id for event_id, _ in runs] == ["evt_first", "evt_queued"], runs
    messages = [rec.getMessage() for rec in caplog.records]
    assert any(
        "the store failed when event evt_queued started; running it under its first claim" in m for m in messages
    ), messages
    assert any("evt_queued" in m and "completion was not recorded" in m for m in messages), messages
