"""The shared vector files (tests/vectors) run through the Python API."""

import pytest
from conftest import VECTORS, attack_inputs, load_vectors

import hookverify as hv

SCHEMES = load_vectors("schemes.json")
ATTACKS = load_vectors("attacks/malformed_headers.json")
PROVIDERS = {e["id"]: e for e in load_vectors("providers/provider_examples.json")["examples"]}


def _body(case):
    return bytes.fromhex(case["body_hex"]) if "body_hex" in case else case["body"].encode("utf-8")


def _header_forms(headers):
    """The same headers as a dict, as (name, value) pairs, in UPPER case, and as bytes pairs."""
    return {
        "dict": dict(headers),
        "pairs": list(headers.items()),
        "upper": {k.upper(): v for k, v in headers.items()},
        "bytes": [(k.encode(), v.encode("utf-8")) for k, v in headers.items()],
    }


def _verifier(case):
    scheme = SCHEMES["custom_schemes"].get(case["scheme"], case["scheme"])
    extra = {} if case["tolerance_seconds"] is None else {"tolerance": case["tolerance_seconds"]}
    return hv.Verifier(scheme=scheme, secrets=case["secrets"], **extra)


@pytest.mark.parametrize("form", ["dict", "pairs", "upper", "bytes"])
@pytest.mark.parametrize("case", SCHEMES["tests"], ids=lambda c: f"tc{c['tcId']}")
def test_schemes_json_signature(case, form):
    verifier = _verifier(case)
    headers = _header_forms(case["headers"])[form]
    if case["result"] == "valid":
        verified = verifier.verify_signature(_body(case), headers, now=case["now"])
        assert verified.key_index == case["key_index"], case["comment"]
    else:
        with pytest.raises(hv.HookverifyError) as err:
            verifier.verify_signature(_body(case), headers, now=case["now"])
        assert err.value.code == case["code"], case["comment"]


@pytest.mark.parametrize("case", SCHEMES["tests"], ids=lambda c: f"tc{c['tcId']}")
def test_schemes_json_event(case):
    verifier = _verifier(case)
    if case["result"] != "valid":
        with pytest.raises(hv.HookverifyError) as err:
            verifier.verify(_body(case), case["headers"], now=case["now"])
        assert err.value.code == case["code"]
        return
    if case["event"] is None:
        with pytest.raises(hv.HookverifyError) as err:
            verifier.verify(_body(case), case["headers"], now=case["now"])
        assert err.value.code == case["event_code"], case["comment"]
        return
    event = verifier.verify(_body(case), case["headers"], now=case["now"])
    assert (event.id, event.type, event.timestamp) == (
        case["event"]["id"],
        case["event"]["type"],
        case["event"]["timestamp"],
    ), case["comment"]
    assert event.key_index == case["key_index"]


@pytest.mark.parametrize("case", ATTACKS["cases"], ids=lambda c: c["id"])
def test_malformed_headers(case):
    inputs = case["inputs"]
    scheme, secret, body, headers = attack_inputs(case)
    extra = {"tolerance": inputs["tolerance"]} if "tolerance" in inputs else {}

    def attempt():
        verifier = hv.Verifier(scheme=scheme, secret=secret, **extra)
        return verifier.verify_signature(body, headers, now=inputs.get("now", 0))

    if case["expect"] == "accept":
        assert attempt().key_index == 0
    else:
        with pytest.raises(hv.HookverifyError):
            attempt()


def test_provider_github_docs():
    e = PROVIDERS["github-docs-x-hub-signature-256"]
    v = hv.Verifier(scheme="github", secret=e["secret_utf8"])
    assert v.verify_signature(e["body_utf8"], {e["header"]: e["expected_header_value"]}).key_index == 0


def test_provider_github_sha1_is_not_a_downgrade():
    e = PROVIDERS["github-legacy-x-hub-signature-sha1-COMPUTED"]
    headers = {e["header"]: e["expected_header_value"]}
    assert hv.Verifier(scheme="github-sha1", secret=e["secret_utf8"]).verify_signature(e["body_utf8"], headers)
    with pytest.raises(hv.HookverifyError) as err:
        hv.Verifier(scheme="github", secret=e["secret_utf8"]).verify_signature(e["body_utf8"], headers)
    assert err.value.code == "missing_header"


def test_provider_slack_docs():
    e = PROVIDERS["slack-docs-v0"]
    v = hv.Verifier(scheme="slack", secret=e["secret_utf8"], tolerance=e["tolerance_seconds"])
    now = e["verify_now_unix"]
    assert v.verify_signature(e["body_utf8"], e["headers"], now=now).timestamp == now
    with pytest.raises(hv.HookverifyError) as err:
        v.verify_signature(e["body_utf8"], e["headers"], now=now + e["tolerance_seconds"] + 1)
    assert err.value.code == "timestamp_too_old"


@pytest.mark.parametrize("example", ["standard-webhooks-rust-test_sign", "standard-webhooks-python-test_sign_function"])
def test_provider_standard_webhooks(example):
    e = PROVIDERS[example]
    v = hv.Verifier(scheme="standard", secret=e["secret"])
    headers = {"webhook-id": e["msg_id"], "webhook-timestamp": str(e["timestamp"])}
    good = v.verify_signature(
        e["payload_utf8"], {**headers, "webhook-signature": e["expected_signature"]}, now=e["timestamp"]
    )
    assert good.message_id == e["msg_id"]
    bad = e["known_bad_signatures"]
    for value in [bad.get("wrong"), bad.get("last_char_flipped"), bad.get("decoy"), *bad.get("decoys", [])]:
        if value is None:
            continue
        with pytest.raises(hv.HookverifyError):
            v.verify_signature(e["payload_utf8"], {**headers, "webhook-signature": value}, now=e["timestamp"])
    # A decoy list with the valid signature anywhere in it verifies.
    listed = " ".join([*bad.get("decoys", [bad.get("decoy")]), e["expected_signature"]])
    assert v.verify_signature(e["payload_utf8"], {**headers, "webhook-signature": listed}, now=e["timestamp"])


def test_provider_stripe_dotnet():
    e = PROVIDERS["stripe-dotnet-EventUtilityTest"]
    body = (VECTORS / "providers" / e["body_file"]).read_bytes()
    assert len(body) == e["body_len_bytes"]
    for tc in e["tolerance_cases"]:
        v = hv.Verifier(scheme="stripe", secret=e["secret_utf8"], tolerance=tc["tolerance"])
        headers = {e["header"]: e["expected_header_value"]}
        if tc["expect"] == "accept":
            assert v.verify_signature(body, headers, now=tc["now"]).timestamp == e["t"]
            assert v.verify(body, headers, now=tc["now"]).id.startswith("evt_")
        else:
            with pytest.raises(hv.HookverifyError) as err:
                v.verify_signature(body, headers, now=tc["now"])
            assert err.value.code == "timestamp_too_old"
    v = hv.Verifier(scheme="stripe", secret=e["secret_utf8"])
    for header in e["upstream_malformed_headers_all_reject"]:
        with pytest.raises(hv.HookverifyError):
            v.verify_signature(body, {e["header"]: header}, now=e["t"])
