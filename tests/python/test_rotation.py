"""Runtime secret rotation (issue 18): Verifier.set_secrets and Receiver.set_secrets(provider, ...).

Signatures come from Python's hmac, never from hookverify's signer.
"""

import hashlib
import hmac
import json
import threading

import pytest

import hookverify as hv

NOW = 1_700_000_000
OLD = "revnoxa-old-secret"
NEW = "revnoxa-new-secret"
REVNOXA = {"name": "revnoxa", "signature_header": "X-Revnoxa-Signature"}
CANARY = "whsec_QZcanarySECRET0123456789"


def delivery(secret, event_id="evt_1"):
    body = json.dumps({"id": event_id, "type": "invoice.paid", "created_at": NOW, "data": {}}).encode()
    return {"X-Revnoxa-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}, body


def check(verifier, secret):
    headers, body = delivery(secret)
    try:
        return verifier.verify(body, headers, now=NOW).key_index
    except hv.HookverifyError as e:
        return e.code


def test_set_secrets_replaces_the_live_secrets_with_an_overlap():
    v = hv.Verifier(scheme=REVNOXA, secret=OLD)
    assert (check(v, OLD), check(v, NEW)) == (0, "no_matching_signature")
    assert v.set_secrets([NEW, OLD]) is None
    assert v.secret_count == 2
    assert (check(v, NEW), check(v, OLD)) == (0, 1)
    v.set_secrets((NEW,))
    assert (check(v, NEW), check(v, OLD)) == (0, "no_matching_signature")
    # Raw key bytes, as the constructor takes.
    v.set_secrets([OLD.encode()])
    assert check(v, OLD) == 0


@pytest.mark.parametrize(
    "bad, code",
    [
        ([], "invalid_secret"),
        ([""], "invalid_secret"),
        ([" \n"], "invalid_secret"),
        (CANARY, "invalid_argument"),
        ([CANARY, 12345], "invalid_argument"),
        (None, "invalid_argument"),
    ],
)
def test_bad_secrets_are_refused_never_echoed_and_the_old_ones_stay(bad, code):
    v = hv.Verifier(scheme=REVNOXA, secret=OLD)
    with pytest.raises(hv.HookverifyError) as e:
        v.set_secrets(bad)
    assert e.value.code == code
    shown = f"{e.value} {e.value!r} {e.value.details}"
    assert "QZcanary" not in shown
    assert check(v, OLD) == 0 and v.secret_count == 1


def test_whsec_secrets_decode_on_rotation_and_never_show():
    v = hv.Verifier(scheme="standard", secret="whsec_c2VjcmV0")
    with pytest.raises(hv.HookverifyError) as e:
        v.set_secrets(["whsec_not*base64*QZcanary"])
    assert e.value.code == "invalid_secret" and "QZcanary" not in str(e.value)
    v.set_secrets([CANARY])
    assert "QZcanary" not in repr(v)


def test_rotation_while_threads_verify():
    # Every result is valid under the old set or the new one: key 0/1, or unmatched.
    v = hv.Verifier(scheme=REVNOXA, secret=OLD)
    stop = threading.Event()
    errors = []

    def rotate():
        states = [[OLD], [OLD, NEW], [NEW], [NEW, OLD]]
        i = 0
        while not stop.is_set():
            i += 1
            v.set_secrets(states[i % 4])

    def verify(secret):
        try:
            for _ in range(2000):
                got = check(v, secret)
                if got not in (0, 1, "no_matching_signature"):
                    errors.append(got)
        except Exception as e:  # noqa: BLE001 - any exception fails the test below
            errors.append(e)

    rotator = threading.Thread(target=rotate)
    rotator.start()
    workers = [threading.Thread(target=verify, args=(s,)) for s in (OLD, NEW, OLD)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    stop.set()
    rotator.join()
    assert errors == []


def test_receiver_rotates_one_provider_by_name():
    provider_verifier = hv.Verifier(scheme=REVNOXA, secret=OLD)
    r = hv.Receiver(
        [
            hv.Provider("github", scheme="github", secret="gh-secret"),
            hv.Provider("revnoxa", provider_verifier),
        ],
        mode="sync",
    )
    r.on("*", lambda event: None)
    counter = iter(range(1000))

    def status(secret):
        headers, body = delivery(secret, f"evt_{next(counter)}")
        return r.handle("/hooks", body, headers, now=NOW).status

    assert (status(OLD), status(NEW)) == (200, 401)
    r.set_secrets("revnoxa", [OLD, NEW])
    assert (status(OLD), status(NEW)) == (200, 200)
    r.set_secrets("revnoxa", [NEW])
    assert (status(OLD), status(NEW)) == (401, 200)
    # The provider's verifier is the one rotated (they share the live secrets).
    assert check(provider_verifier, NEW) == 0 and check(provider_verifier, OLD) == "no_matching_signature"
    with pytest.raises(hv.HookverifyError) as e:
        r.set_secrets(CANARY, [NEW])
    assert e.value.code == "invalid_argument" and "QZcanary" not in str(e.value) and "github, revnoxa" in str(e.value)
    with pytest.raises(hv.HookverifyError) as e:
        r.set_secrets("revnoxa", [""])
    assert e.value.code == "invalid_secret"
    with pytest.raises(hv.HookverifyError) as e:
        r.set_secrets("revnoxa", NEW)
    assert e.value.code == "invalid_argument"
    # Adding a handler rebuilds the pipeline from the providers: the rotation stays.
    r.on("other.type", lambda event: None)
    assert (status(OLD), status(NEW)) == (401, 200)
