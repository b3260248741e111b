"""Preset aliases (issue 19): svix, clerk, resend, openai, replicate and brex name ``standard``;
whatsapp, facebook and instagram name ``meta``. The preset's vectors (tests/vectors/presets.json:
SDK tests and Python-computed vectors) verify alike under each alias, and a provider configured by
an alias is named by it."""

import pytest
from conftest import load_vectors

import hookverify as hv

PRESETS = load_vectors("presets.json")
ALIASES = {
    "svix": "standard",
    "clerk": "standard",
    "resend": "standard",
    "openai": "standard",
    "replicate": "standard",
    "brex": "standard",
    "whatsapp": "meta",
    "facebook": "meta",
    "instagram": "meta",
}


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_alias_verifies_the_preset_vectors(alias):
    cases = [c for c in PRESETS["tests"] if c["preset"] == ALIASES[alias]]
    assert len(cases) >= 2
    for case in cases:
        verifier = hv.Verifier(scheme=alias, secret=case["secret"], public_keys=case.get("public_keys"))
        assert verifier.scheme == ALIASES[alias], "the scheme is the preset's"
        body, want = case["body"].encode("utf-8"), case["expected"]
        if want["valid"]:
            assert verifier.verify_signature(body, case["headers"], now=case["now"]).key_index == want.get(
                "key_index", 0
            ), case["id"]
        else:
            with pytest.raises(hv.HookverifyError) as err:
                verifier.verify_signature(body, case["headers"], now=case["now"])
            assert err.value.code == want["code"], case["id"]


def test_aliases_are_not_listed_as_presets_and_unknown_names_fail():
    for alias in ALIASES:
        assert alias not in hv.SCHEMES
    with pytest.raises(hv.HookverifyError) as err:
        hv.Verifier(scheme="Svix", secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert err.value.code == "unknown_scheme"


def test_a_provider_is_named_by_its_alias():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    r = hv.Receiver(
        [
            hv.Provider(scheme="clerk", secret=secret, match=("x-from", "clerk")),
            hv.Provider(scheme="resend", secret=secret, match=("x-from", "resend")),
            hv.Provider("wa", scheme="whatsapp", secret="s"),
        ]
    )
    assert r.provider_names == ["clerk", "resend", "wa"]
