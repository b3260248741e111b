"""max_event_age (issue 18): a body-signed sender's signed `created_at` bounds a delivery's age.

Signatures come from Python's hmac, never from hookverify's signer.
"""

import hashlib
import hmac
import json

import pytest

import hookverify as hv

NOW = 1_700_000_000
SECRET = "reflex-py-secret"
REFLEX = {"name": "reflex", "signature_header": "X-Reflex-Signature"}
MISSING = object()


def delivery(created_at=MISSING):
    """(headers, body) of a Reflex delivery with `created_at` (any JSON value; MISSING: absent)."""
    envelope = {"id": "evt_1", "type": "deployment.created", "data": {"n": 1}}
    if created_at is not MISSING:
        envelope["created_at"] = created_at
    body = json.dumps(envelope).encode()
    sig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Reflex-Signature": sig}, body


def code_of(verifier, created_at=MISSING, now=NOW):
    headers, body = delivery(created_at)
    try:
        verifier.verify(body, headers, now=now)
    except hv.HookverifyError as e:
        return e.code
    return "ok"


def test_without_max_event_age_a_2020_delivery_verifies():
    v = hv.Verifier(scheme=REFLEX, secret=SECRET)
    assert v.max_event_age is None
    assert code_of(v, "2020-01-01T00:00:00Z") == "ok"


@pytest.mark.parametrize(
    "created_at, want",
    [
        ("2020-01-01T00:00:00Z", "timestamp_too_old"),
        (1577836800, "timestamp_too_old"),
        (NOW, "ok"),
        (str(NOW), "ok"),
        ("2023-11-14T22:13:20Z", "ok"),
        (NOW - 300, "ok"),
        (NOW - 301, "timestamp_too_old"),
        (NOW + 300, "ok"),
        (NOW + 301, "timestamp_too_new"),
        ("2999-01-01T00:00:00Z", "timestamp_too_new"),
        (None, "missing_field"),
        (MISSING, "missing_field"),
    ],
)
def test_signed_created_at_bounds_the_age(created_at, want):
    v = hv.Verifier(scheme=REFLEX, secret=SECRET, max_event_age=300)
    assert v.max_event_age == 300
    assert code_of(v, created_at) == want


def test_error_details_and_signature_only_check():
    v = hv.Verifier(scheme=REFLEX, secret=SECRET, max_event_age=600)
    headers, body = delivery(NOW - 1000)
    with pytest.raises(hv.HookverifyError) as e:
        v.verify(body, headers, now=NOW)
    assert e.value.code == "timestamp_too_old"
    assert e.value.details["tolerance_seconds"] == 600
    # verify_signature parses no event: the age is not checked there (documented).
    assert v.verify_signature(body, headers, now=NOW).key_index == 0


def test_unsigned_event_timestamp_is_refused_at_construction():
    with pytest.raises(hv.HookverifyError) as e:
        hv.Verifier(scheme="shopify", secret="s", max_event_age=300)
    assert e.value.code == "invalid_argument" and "X-Shopify-Triggered-At" in str(e.value)
    with pytest.raises(hv.HookverifyError) as e:
        hv.Verifier(scheme="github", secret="s", max_event_age=300)
    assert e.value.code == "invalid_argument"
    for bad in (-1, "300", 1.5, True):
        with pytest.raises(hv.HookverifyError) as e:
            hv.Verifier(scheme=REFLEX, secret=SECRET, max_event_age=bad)
        assert e.value.code == "invalid_argument"


@pytest.mark.parametrize("how", ["single", "providers"])
def test_receivers_apply_it(how):
    if how == "single":
        r = hv.Receiver(scheme=REFLEX, secret=SECRET, max_event_age=300, mode="sync")
    else:
        r = hv.Receiver([hv.Provider("reflex", scheme=REFLEX, secret=SECRET, max_event_age=300)], mode="sync")
    seen = []
    r.on("*", seen.append)
    headers, body = delivery("2020-01-01T00:00:00Z")
    old = r.handle("/hooks", body, headers, now=NOW)
    assert old.status == 401 and old.json()["error"]["code"] == "timestamp_too_old"
    headers, body = delivery()
    assert r.handle("/hooks", body, headers, now=NOW).status == 400
    headers, body = delivery(NOW)
    assert r.handle("/hooks", body, headers, now=NOW).status == 200
    assert [e.id for e in seen] == ["evt_1"]
