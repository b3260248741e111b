"""hookverify's signer for every scheme family (issue 19 item 8): the request line (url/method,
Twilio's form parameters and bodySHA256) and private keys (Ed25519 for discord and standard `v1a`,
ECDSA P-256 for sendgrid), through the Python binding and the CLI.

Every signature is checked by an independent implementation: the `cryptography` package verifies
the Ed25519 and ECDSA signatures, Python's hmac recomputes the URL-signed MACs. Keys are generated
here, with `cryptography`."""

import base64
import hashlib
import hmac
import os
import subprocess
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

import hookverify as hv

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "target" / "release" / "hookverify"
TS = 1_764_000_000
BODY = b'{"id":"evt_1","type":"ping","data":{"n":1}}'


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def cli_sign(args: "list[str]", body: bytes, env: "dict[str, str] | None" = None) -> "dict[str, str]":
    out = subprocess.run(
        [str(CLI), "sign", *args], input=body, capture_output=True, check=True, env={**os.environ, **(env or {})}
    )
    return dict(line.split(": ", 1) for line in out.stdout.decode().splitlines())


# ------------------------------------------------------------------ Ed25519 private keys


def ed25519_forms(key: ed25519.Ed25519PrivateKey) -> "dict[str, str]":
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return {
        "pem": pem.decode(),
        "hex_seed": seed.hex(),
        "whsk_seed": "whsk_" + b64(seed),
        "whsk_keypair": "whsk_" + b64(seed + public),
        "base64_seed": b64(seed),
    }


@pytest.mark.parametrize("form", ["pem", "hex_seed", "whsk_seed", "whsk_keypair", "base64_seed"])
def test_discord_ed25519_private_key_forms(form: str) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    headers = hv.sign(scheme="discord", private_key=ed25519_forms(key)[form], body=BODY, timestamp=TS)
    assert headers["X-Signature-Timestamp"] == str(TS)
    sig = bytes.fromhex(headers["X-Signature-Ed25519"])
    key.public_key().verify(sig, str(TS).encode() + BODY)  # raises InvalidSignature otherwise
    with pytest.raises(InvalidSignature):
        key.public_key().verify(sig, str(TS).encode() + BODY + b" ")
    # And our verifier, given the public key as Discord shows it (hex), agrees.
    public_hex = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    v = hv.Verifier(scheme="discord", public_keys=[public_hex])
    assert v.verify_signature(BODY, headers, now=TS).key_index == 0


def test_standard_v1a_signature() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    whsk = ed25519_forms(key)["whsk_keypair"]
    headers = hv.sign(scheme="standard", private_key=whsk, body=BODY, id="msg_1", timestamp=TS)
    assert headers["webhook-id"] == "msg_1" and headers["webhook-timestamp"] == str(TS)
    label, sig = headers["webhook-signature"].split(",", 1)
    assert label == "v1a"
    key.public_key().verify(base64.b64decode(sig), b"msg_1." + str(TS).encode() + b"." + BODY)


def test_ed25519_key_mismatch_and_bad_keys_are_typed_and_quiet() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    forms = ed25519_forms(key)
    other = ed25519_forms(ed25519.Ed25519PrivateKey.generate())
    # seed of one key, public half of another
    mixed = "whsk_" + b64(
        base64.b64decode(forms["whsk_keypair"][5:])[:32] + base64.b64decode(other["whsk_keypair"][5:])[32:]
    )
    for bad in [
        mixed,
        "whsk_!!",
        forms["hex_seed"][:-2],
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
    ]:
        with pytest.raises(hv.HookverifyError) as err:
            hv.sign(scheme="discord", private_key=bad, body=BODY, timestamp=TS)
        assert err.value.code == "invalid_secret"
        assert bad not in str(err.value) and forms["hex_seed"] not in str(err.value)
    # A secret for a public-key-only scheme, a private key for an HMAC scheme, both, neither.
    for kwargs in [
        {"secret": "s"},
        {},
        {"secret": "s", "private_key": forms["hex_seed"]},
        {"secret": b"raw", "private_key": forms["hex_seed"]},
    ]:
        with pytest.raises(hv.HookverifyError) as err:
            hv.sign(scheme="discord", body=BODY, timestamp=TS, **kwargs)
        assert err.value.code == "invalid_argument", kwargs
    with pytest.raises(hv.HookverifyError) as err:
        hv.sign(scheme="github", private_key=forms["hex_seed"], body=BODY)
    assert err.value.code == "invalid_argument"


# ------------------------------------------------------------------ ECDSA P-256 (SendGrid)


@pytest.mark.parametrize("form", ["pem", "der_base64", "sec1_pem"])
def test_sendgrid_p256_private_key_forms(form: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    text = {
        "pem": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        "der_base64": b64(
            key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        "sec1_pem": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ).decode(),
    }[form]
    body = BODY + b"\r\n"  # SendGrid's body ends with CRLF, and it is signed
    headers = hv.sign(scheme="sendgrid", private_key=text, body=body, timestamp=TS)
    assert headers["X-Twilio-Email-Event-Webhook-Timestamp"] == str(TS)
    der = base64.b64decode(headers["X-Twilio-Email-Event-Webhook-Signature"])
    key.public_key().verify(der, str(TS).encode() + body, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        key.public_key().verify(der, str(TS).encode() + BODY, ec.ECDSA(hashes.SHA256()))
    spki = b64(
        key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert hv.Verifier(scheme="sendgrid", public_keys=[spki]).verify_signature(body, headers, now=TS).key_index == 0


def test_cli_signs_with_private_key_env_and_file(tmp_path: Path) -> None:
    ed = ed25519.Ed25519PrivateKey.generate()
    pem = tmp_path / "discord.pem"
    pem.write_text(ed25519_forms(ed)["pem"])
    h = cli_sign(["--scheme", "discord", "--private-key-file", str(pem), "--timestamp", str(TS)], BODY)
    ed.public_key().verify(bytes.fromhex(h["X-Signature-Ed25519"]), str(TS).encode() + BODY)
    p = ec.generate_private_key(ec.SECP256R1())
    der = b64(
        p.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    h = cli_sign(
        ["--scheme", "sendgrid", "--private-key-env", "HV_TEST_PK", "--timestamp", str(TS)], BODY, {"HV_TEST_PK": der}
    )
    p.public_key().verify(
        base64.b64decode(h["X-Twilio-Email-Event-Webhook-Signature"]),
        str(TS).encode() + BODY,
        ec.ECDSA(hashes.SHA256()),
    )
    whsk = ed25519_forms(ed)["whsk_seed"]
    h = cli_sign(
        ["--scheme", "standard", "--private-key-env", "HV_TEST_PK", "--id", "msg_9", "--timestamp", str(TS)],
        BODY,
        {"HV_TEST_PK": whsk},
    )
    ed.public_key().verify(base64.b64decode(h["webhook-signature"].split(",", 1)[1]), f"msg_9.{TS}.".encode() + BODY)
    # Secret and private key together: a usage error (exit 2), the key not echoed.
    out = subprocess.run(
        [str(CLI), "sign", "--scheme", "discord", "--secret", "s", "--private-key", whsk],
        input=BODY,
        capture_output=True,
    )
    assert out.returncode == 2 and whsk.encode() not in out.stderr


# ------------------------------------------------------------------ URL and method


def mac(algorithm: str, secret: str, message: bytes) -> str:
    return b64(hmac.new(secret.encode(), message, algorithm).digest())


def twilio_params(form: "dict[str, str]") -> bytes:
    return "".join(k + form[k] for k in sorted(form)).encode()


SQUARE_URL = "https://hooks.example.com:8443/square?tenant=7&b=2"
HUBSPOT_URL = "https://hooks.example.com/hubspot?portal=1"
TRELLO_URL = "https://hooks.example.com/trello"
TWILIO_URL = "https://hooks.example.com/twilio/sms?x=1"


def test_square_hubspot_trello_signed_over_the_url() -> None:
    h = hv.sign(scheme="square", secret="sq", body=BODY, url=SQUARE_URL)
    assert h["x-square-hmacsha256-signature"] == mac("sha256", "sq", SQUARE_URL.encode() + BODY)
    h = hv.sign(scheme="hubspot", secret="hs", body=BODY, url=HUBSPOT_URL, method="PUT", timestamp=TS)
    assert h["X-HubSpot-Request-Timestamp"] == f"{TS}000"
    assert h["X-HubSpot-Signature-v3"] == mac(
        "sha256", "hs", b"PUT" + HUBSPOT_URL.encode() + BODY + f"{TS}000".encode()
    )
    h = hv.sign(scheme="hubspot", secret="hs", body=BODY, url=HUBSPOT_URL, timestamp=TS)  # method defaults to POST
    assert h["X-HubSpot-Signature-v3"] == mac(
        "sha256", "hs", b"POST" + HUBSPOT_URL.encode() + BODY + f"{TS}000".encode()
    )
    h = hv.sign(scheme="trello", secret="tr", body=BODY, url=TRELLO_URL)
    assert h["X-Trello-Webhook"] == mac("sha1", "tr", BODY + TRELLO_URL.encode())
    # No URL for a scheme that signs it: refused, not a body-only MAC.
    with pytest.raises(hv.HookverifyError) as err:
        hv.sign(scheme="square", secret="sq", body=BODY)
    assert err.value.code == "invalid_argument"
    # The CLI agrees.
    assert cli_sign(["--scheme", "square", "--secret", "sq", "--url", SQUARE_URL], BODY) == {
        "x-square-hmacsha256-signature": mac("sha256", "sq", SQUARE_URL.encode() + BODY)
    }
    h = cli_sign(
        ["--scheme", "hubspot", "--secret", "hs", "--url", HUBSPOT_URL, "--method", "PATCH", "--timestamp", str(TS)],
        BODY,
    )
    assert h["X-HubSpot-Signature-v3"] == mac(
        "sha256", "hs", b"PATCH" + HUBSPOT_URL.encode() + BODY + f"{TS}000".encode()
    )


def test_twilio_form_params_and_body_sha256() -> None:
    form = {"To": "+15550001", "From": "+15550002", "Body": "hi there & more", "AccountSid": "AC1"}
    body = b"To=%2B15550001&From=%2B15550002&Body=hi+there+%26+more&AccountSid=AC1"
    h = hv.sign(scheme="twilio", secret="tw", body=body, url=TWILIO_URL)
    assert h == {"X-Twilio-Signature": mac("sha1", "tw", TWILIO_URL.encode() + twilio_params(form))}
    # JSON body: the URL carries the body's SHA-256; the parameters are empty.
    json_body = b'{"event":"x"}'
    url = TWILIO_URL + "&bodySHA256=" + hashlib.sha256(json_body).hexdigest()
    h = hv.sign(scheme="twilio", secret="tw", body=json_body, url=url)
    assert h == {"X-Twilio-Signature": mac("sha1", "tw", url.encode())}
    assert cli_sign(["--scheme", "twilio", "--secret", "tw", "--url", url], json_body) == h
    with pytest.raises(hv.HookverifyError) as err:
        hv.sign(scheme="twilio", secret="tw", body=json_body + b" ", url=url)
    assert err.value.code == "invalid_argument" and "bodySHA256" in str(err.value)
