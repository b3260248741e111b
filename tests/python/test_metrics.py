"""Receiver.metrics() and .prometheus() (issue 21 part 5): the core's counters and latency
histograms, by provider, outcome and error code; the text parsed by prometheus_client's parser,
an independent implementation of the exposition format.

Signatures come from Python's hmac, never from hookverify's signer.
"""

import hashlib
import hmac
import json

from prometheus_client import parser

import hookverify as hv

SECRET = "reflex-py-secret"
REFLEX = {"name": "reflex", "signature_header": "X-Reflex-Signature"}


def delivery(event_id, event_type="deployment.created"):
    body = json.dumps({"id": event_id, "type": event_type, "data": {}}).encode()
    return body, {"X-Reflex-Signature": hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}


def count(snapshot, outcome, code=None):
    return sum(
        s["latency"]["count"]
        for s in snapshot["deliveries"]
        if s["outcome"] == outcome and (code is None or s["code"] == code)
    )


def boom(event):
    raise RuntimeError("boom")


def receiver(mode):
    r = hv.Receiver([hv.Provider(name="reflex", scheme=REFLEX, secret=SECRET)], mode=mode)
    r.on("deployment.created", lambda event: None)
    r.on("deployment.failed", boom)
    return r


def test_sync_answers_are_counted_under_their_outcome_and_code():
    r = receiver("sync")
    statuses = []
    for body, headers in [
        delivery("a"),
        delivery("a"),
        delivery("b", "deployment.failed"),
        delivery("c", "invoice.paid"),
        (delivery("d")[0], {"X-Reflex-Signature": "00" * 32}),
    ]:
        statuses.append(r.handle("/hooks", body, headers).status)
    assert statuses == [200, 200, 500, 200, 401]
    m = r.metrics()
    assert count(m, "handled") == 1
    assert count(m, "duplicate") == 1
    assert count(m, "failed", "handler_failed") == 1
    assert count(m, "unhandled") == 1
    assert count(m, "rejected", "no_matching_signature") == 1
    handled = next(s for s in m["deliveries"] if s["outcome"] == "handled")
    assert handled["provider"] == "reflex"
    assert handled["latency"]["cumulative"][-1] == 1
    assert handled["latency"]["sum_seconds"] > 0
    assert m["runs"] == []


def test_async_counts_the_202_then_the_run():
    r = receiver("async")
    body, headers = delivery("x")
    assert r.handle("/hooks", body, headers).status == 202
    assert r.wait(timeout=10)
    m = r.metrics()
    assert count(m, "accepted") == 1
    assert [(s["provider"], s["outcome"], s["latency"]["count"]) for s in m["runs"]] == [("reflex", "done", 1)]


def test_prometheus_text_parses_with_prometheus_client():
    r = receiver("sync")
    body, headers = delivery("a")
    r.handle("/hooks", body, headers)
    r.handle("/hooks", b"{}", {"X-Reflex-Signature": "zz"})
    families = {f.name: f for f in parser.text_string_to_metric_families(r.prometheus())}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in families["hookverify_deliveries"].samples}
    assert samples[("hookverify_deliveries_total", (("outcome", "handled"), ("provider", "reflex")))] == 1
    rejected = [v for (name, labels), v in samples.items() if ("outcome", "rejected") in labels]
    assert rejected == [1]
    histogram = families["hookverify_delivery_duration_seconds"]
    assert histogram.type == "histogram"
    inf = [s for s in histogram.samples if s.name.endswith("_bucket") and s.labels["le"] == "+Inf"]
    counts = [s for s in histogram.samples if s.name.endswith("_count")]
    assert sorted(s.value for s in inf) == sorted(s.value for s in counts)
    assert SECRET not in r.prometheus()
