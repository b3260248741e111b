"""Schemes that sign the request line (issue 19 item 2) through the Python API: url=/method= per
call and on the Verifier, diagnose's wrong_url hint. Signatures are computed here with hmac
(Square: base64 HMAC-SHA256 over notification URL + body; HubSpot v3: base64 HMAC-SHA256 over
method + URL + body + ms timestamp), never with hookverify's signer."""

import base64
import hashlib
import hmac

import pytest

import hookverify as hv

URL = "https://hooks.example.com/square?tenant=7"
SECRET = "square-python-key"
BODY = b'{"event_id":"evt_9","type":"payment.updated","created_at":"2026-12-01T00:00:00Z","data":{}}'
SIG = base64.b64encode(hmac.new(SECRET.encode(), URL.encode() + BODY, hashlib.sha256).digest()).decode()
HEADERS = {"x-square-hmacsha256-signature": SIG}


def test_per_call_url():
    v = hv.Verifier(scheme="square", secret=SECRET)
    assert v.verify(BODY, HEADERS, url=URL).id == "evt_9"
    assert v.verify_signature(BODY, HEADERS, url=URL).key_index == 0
    with pytest.raises(hv.HookverifyError) as err:
        v.verify_signature(BODY, HEADERS)
    assert err.value.code == "invalid_argument"
    with pytest.raises(hv.HookverifyError) as err:
        v.verify(BODY, HEADERS, url="http://hooks.example.com/square?tenant=7")
    assert err.value.code == "no_matching_signature"
    with pytest.raises(hv.HookverifyError) as err:
        v.verify(BODY, HEADERS, url=7)
    assert err.value.code == "invalid_argument"


def test_configured_url():
    v = hv.Verifier(scheme="square", secret=SECRET, url=URL)
    assert v.verify(BODY, HEADERS).id == "evt_9"


def test_hubspot_method():
    secret, url, ts = "hubspot-python-secret", "https://example.com/hs", "1796083200000"
    body = b'[{"eventId":5,"subscriptionType":"contact.creation","occurredAt":1796083200000}]'
    sig = base64.b64encode(hmac.new(secret.encode(), b"POST" + url.encode() + body + ts.encode(), hashlib.sha256).digest()).decode()
    headers = {"X-HubSpot-Signature-v3": sig, "X-HubSpot-Request-Timestamp": ts}
    v = hv.Verifier(scheme="hubspot", secret=secret)
    event = v.verify(body, headers, now=1796083200, url=url, method="POST")
    assert (event.id, event.type) == ("5", "contact.creation")
    with pytest.raises(hv.HookverifyError) as err:
        v.verify(body, headers, now=1796083200, url=url, method="PUT")
    assert err.value.code == "no_matching_signature"
    # The method the verifier is configured with.
    assert hv.Verifier(scheme="hubspot", secret=secret, method="POST", url=url).verify_signature(body, headers, now=1796083200)


def test_diagnose_wrong_url():
    report = hv.diagnose(BODY, HEADERS, secrets=[SECRET], url="http://hooks.example.com/square?tenant=7")
    assert report.valid is False and report.codes == ("wrong_url",)
    assert hv.diagnose(BODY, HEADERS, secrets=[SECRET], url=URL).valid is True
