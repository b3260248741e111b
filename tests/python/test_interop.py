"""Interop with the peer libraries, both directions: their signatures verify with ours, ours with theirs."""

import time
from datetime import datetime, timezone

import pytest
import standardwebhooks.webhooks as sw
import stripe
import svix.webhooks as svix

import hookverify as hv

WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OTHER_WHSEC = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
BODY = '{"id":"evt_1","type":"user.created","data":{"name":"Zoë","n":[1,2,3]}}'


@pytest.mark.parametrize("peer", [sw.Webhook, svix.Webhook], ids=["standardwebhooks", "svix"])
def test_peer_signs_we_verify(peer):
    now = int(time.time())
    signature = peer(WHSEC).sign("msg_peer_1", datetime.fromtimestamp(now, tz=timezone.utc), BODY)
    prefix = "svix" if peer is svix.Webhook else "webhook"
    headers = {f"{prefix}-id": "msg_peer_1", f"{prefix}-timestamp": str(now), f"{prefix}-signature": signature}
    v = hv.Verifier(scheme="standard", secrets=[OTHER_WHSEC, WHSEC])
    event = v.verify(BODY.encode(), headers)
    assert (event.id, event.type, event.key_index) == ("msg_peer_1", "user.created", 1)
    assert event.data == {"name": "Zoë", "n": [1, 2, 3]}
    with pytest.raises(hv.HookverifyError) as err:
        v.verify(BODY.encode() + b" ", headers)
    assert err.value.code == "no_matching_signature"


@pytest.mark.parametrize("peer", [sw.Webhook, svix.Webhook], ids=["standardwebhooks", "svix"])
def test_we_sign_peer_verifies(peer):
    headers = hv.sign(scheme="standard", secret=WHSEC, body=BODY, id="msg_ours_1", timestamp=int(time.time()))
    assert peer(WHSEC).verify(BODY, headers) == {
        "id": "evt_1",
        "type": "user.created",
        "data": {"name": "Zoë", "n": [1, 2, 3]},
    }
    with pytest.raises(Exception):
        peer(OTHER_WHSEC).verify(BODY, headers)
    if peer is svix.Webhook:  # the svix-* spelling of the same signature verifies too
        renamed = {k.replace("webhook-", "svix-"): v for k, v in headers.items()}
        assert peer(WHSEC).verify(BODY, renamed)


STRIPE_SECRET = "whsec_stripe_test_secret"


def test_stripe_signs_we_verify():
    now = int(time.time())
    # stripe-python has no public signer; _compute_signature is the primitive its own tests use.
    sig = stripe.WebhookSignature._compute_signature(f"{now}.{BODY}", STRIPE_SECRET)
    header = f"t={now},v1={sig},v0=deadbeef"
    v = hv.Verifier(scheme="stripe", secret=STRIPE_SECRET)
    event = v.verify(BODY.encode(), {"stripe-signature": header})
    assert (event.id, event.type, event.timestamp) == ("evt_1", "user.created", now)  # no /created: the signed t
    stripe.WebhookSignature.verify_header(BODY, header, STRIPE_SECRET, 300)  # sanity: stripe agrees


def test_we_sign_stripe_verifies():
    headers = hv.sign(scheme="stripe", secret=STRIPE_SECRET, body=BODY.encode(), timestamp=int(time.time()))
    assert list(headers) == ["Stripe-Signature"]
    assert stripe.WebhookSignature.verify_header(BODY, headers["Stripe-Signature"], STRIPE_SECRET, 300)
    event = stripe.Webhook.construct_event(BODY, headers["Stripe-Signature"], STRIPE_SECRET)
    assert event.id == "evt_1" and event.type == "user.created"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(BODY, headers["Stripe-Signature"], STRIPE_SECRET + "x")


def test_stripe_rejects_what_we_reject_for_tampering():
    now = int(time.time())
    header = hv.sign(scheme="stripe", secret=STRIPE_SECRET, body=BODY, timestamp=now)["Stripe-Signature"]
    tampered = BODY.replace("Zoë", "Zoe")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(tampered, header, STRIPE_SECRET, 300)
    with pytest.raises(hv.HookverifyError):
        hv.Verifier(scheme="stripe", secret=STRIPE_SECRET).verify_signature(tampered, {"Stripe-Signature": header})
