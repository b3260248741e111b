"""tests/vectors/presets.json (the data-only provider presets, vectors from official SDK tests or
Python's hmac via tests/vectors/gen_presets.py) through the Python API. A new preset needs only data."""

import pytest
from conftest import load_vectors

import hookverify as hv

PRESETS = load_vectors("presets.json")


def test_schemes_lists_every_preset():
    for name in PRESETS["presets"]:
        assert name in hv.SCHEMES, name


@pytest.mark.parametrize("case", PRESETS["tests"], ids=lambda c: c["id"])
def test_preset_vector(case):
    verifier = hv.Verifier(scheme=case["preset"], secret=case["secret"], public_keys=case.get("public_keys"))
    body, headers, now, want = case["body"].encode("utf-8"), case["headers"], case["now"], case["expected"]
    # Presets that sign the request line: the URL the sender called and the method, per call.
    target = {"url": case["url"], "method": case["method"]} if "url" in case else {}
    if not want["valid"]:
        for call in (verifier.verify_signature, verifier.verify):
            with pytest.raises(hv.HookverifyError) as err:
                call(body, headers, now=now, **target)
            assert err.value.code == want["code"], case["comment"]
        return
    assert verifier.verify_signature(body, headers, now=now, **target).key_index == want.get("key_index", 0)
    if want["event"] is None:
        with pytest.raises(hv.HookverifyError) as err:
            verifier.verify(body, headers, now=now, **target)
        assert err.value.code == want["event_code"], case["comment"]
        return
    event = verifier.verify(body, headers, now=now, **target)
    assert (event.id, event.type, event.timestamp) == (
        want["event"]["id"],
        want["event"]["type"],
        want["event"]["timestamp"],
    )
