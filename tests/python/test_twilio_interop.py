"""Interop with Twilio's official helper (PyPI `twilio`, twilio.request_validator.RequestValidator):
its signatures verify with hookverify (Python binding and CLI), and its validator accepts what
hookverify's signer produces, for form posts (several URLs, repeated and non-ASCII parameters) and
JSON bodies bound by `bodySHA256`."""

import hashlib
import subprocess
from pathlib import Path
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

import hookverify as hv

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "target" / "release" / "hookverify"
TOKEN = "12345678901234567890123456789012"  # an auth token's shape: 32 hex-like characters

FORMS = [
    (
        "https://mycompany.com/myapp.php?foo=1&bar=2",
        {
            "CallSid": "CA1234567890ABCDE",
            "Caller": "+12349013030",
            "Digits": "1234",
            "From": "+12349013030",
            "To": "+18005551212",
        },
    ),
    (
        "https://hooks.example.com:8443/twilio/sms",
        {"Body": "h\u00e9llo \u2603 & more", "From": "+15550002", "To": "+15550001"},
    ),
    ("http://localhost:8080/sms?x=a+b", {"Body": "", "NumMedia": "0", "SmsSid": "SM1"}),
    # A repeated parameter: twilio reads every value from a MultiDict (as Flask hands it over).
    (
        "https://hooks.example.com/status",
        MultiDict([("MessageStatus", "sent"), ("AccountSid", "AC1"), ("MessageStatus", "delivered")]),
    ),
]


def form_body(params) -> bytes:
    pairs = params.items(multi=True) if isinstance(params, MultiDict) else params.items()
    return urlencode(list(pairs)).encode()


def cli_verify(url: str, body: bytes, signature: str) -> int:
    cmd = [
        str(CLI),
        "verify",
        "--scheme",
        "twilio",
        "--secret-env",
        "HV_TWILIO",
        "--url",
        url,
        "-H",
        f"X-Twilio-Signature: {signature}",
    ]
    return subprocess.run(cmd, input=body, capture_output=True, env={"HV_TWILIO": TOKEN}).returncode


@pytest.mark.parametrize("url,params", FORMS)
def test_twilio_signs_a_form_hookverify_verifies(url: str, params) -> None:
    validator = RequestValidator(TOKEN)
    signature = validator.compute_signature(url, params)
    body = form_body(params)
    v = hv.Verifier(scheme="twilio", secret=TOKEN)
    assert v.verify_signature(body, {"X-Twilio-Signature": signature}, url=url).key_index == 0
    assert cli_verify(url, body, signature) == 0
    # A changed parameter or another URL does not verify.
    with pytest.raises(hv.HookverifyError) as err:
        v.verify_signature(body + b"&Extra=1", {"X-Twilio-Signature": signature}, url=url)
    assert err.value.code == "no_matching_signature"
    assert cli_verify(url.replace("/", "/x", 3) if "?" not in url else url + "&y=1", body, signature) == 1


@pytest.mark.parametrize("url,params", FORMS)
def test_hookverify_signs_a_form_twilio_validates(url: str, params) -> None:
    headers = hv.sign(scheme="twilio", secret=TOKEN, body=form_body(params), url=url)
    assert RequestValidator(TOKEN).validate(url, params, headers["X-Twilio-Signature"])
    assert not RequestValidator(TOKEN + "0").validate(url, params, headers["X-Twilio-Signature"])


def test_port_spellings_both_ways() -> None:
    params = {"From": "+15550002", "Body": "port"}
    body = form_body(params)
    # Twilio signed the URL with the default port; the receiver knows it without (and vice versa).
    signature = RequestValidator(TOKEN).compute_signature("https://hooks.example.com:443/sms", params)
    v = hv.Verifier(scheme="twilio", secret=TOKEN)
    assert (
        v.verify_signature(body, {"X-Twilio-Signature": signature}, url="https://hooks.example.com/sms").key_index == 0
    )
    ours = hv.sign(scheme="twilio", secret=TOKEN, body=body, url="https://hooks.example.com/sms")
    assert RequestValidator(TOKEN).validate("https://hooks.example.com:443/sms", params, ours["X-Twilio-Signature"])


JSON_BODIES = [b'{"event":"message.delivered","sid":"SM1"}', '{"note":"caf\u00e9","n":[1,2,3]}'.encode()]


@pytest.mark.parametrize("body", JSON_BODIES)
def test_json_body_sha256_both_ways(body: bytes) -> None:
    validator = RequestValidator(TOKEN)
    url = "https://hooks.example.com/events?bodySHA256=" + validator.compute_hash(body.decode())
    assert url.endswith(hashlib.sha256(body).hexdigest())
    signature = validator.compute_signature(url, {})
    v = hv.Verifier(scheme="twilio", secret=TOKEN)
    assert v.verify_signature(body, {"X-Twilio-Signature": signature}, url=url).key_index == 0
    assert cli_verify(url, body, signature) == 0
    # The body no longer matches its bodySHA256: refused even though the URL's MAC is right.
    with pytest.raises(hv.HookverifyError) as err:
        v.verify_signature(body + b" ", {"X-Twilio-Signature": signature}, url=url)
    assert err.value.code == "no_matching_signature"
    ours = hv.sign(scheme="twilio", secret=TOKEN, body=body, url=url)
    assert validator.validate(url, body.decode(), ours["X-Twilio-Signature"])
    assert not validator.validate(url, body.decode() + " ", ours["X-Twilio-Signature"])
