"""Malformed and hostile input through every Python entry point (issue 8): each gives the documented
HookverifyError code (spec/errors.md), or a TypeError for a missing/unknown keyword (Python's own
calling contract), and never crashes or hangs. Receivers answer with the same code in the body.
"""

import json
import time

import pytest
from conftest import GH_SECRET, WHSEC, attack_inputs, envelope, gh_headers, load_vectors, std_headers

import hookverify as hv

NOW = 1_700_000_000
BODY = envelope()
STD = std_headers(BODY, "msg_1", NOW)
SIG = "webhook-signature"


def std():
    return hv.Verifier(scheme="standard", secret=WHSEC)


def code_of(call) -> str:
    with pytest.raises(hv.HookverifyError) as err:
        call()
    return err.value.code


def receiver_code(headers, body=BODY, now=NOW, **kw) -> str:
    r = hv.Receiver(scheme="standard", secret=WHSEC, mode="sync", **kw)
    r.on("*", lambda e: None)
    d = r.begin("/hooks", body, headers, now=now)
    assert isinstance(d, hv.Decision), d
    assert d.status >= 400 and d.error is not None
    return d.error.code


def diagnosed(headers, body=BODY, now=NOW, scheme="standard") -> hv.Report:
    report = hv.diagnose(body, headers, secrets=[WHSEC], scheme=scheme, now=now)
    assert isinstance(report, hv.Report)
    return report


# ---------------------------------------------------------------- control bytes, size, encoding

BAD_VALUES = {
    "CRLF": STD[SIG] + "\r\nX-Injected: 1",
    "LF": STD[SIG] + "\n",
    "CR": "\r" + STD[SIG],
    "NUL": STD[SIG] + "\x00",
    "over 16 KiB": STD[SIG] + " " + "v1," + "A" * (16 * 1024),
    "lone surrogate": STD[SIG] + "\udc80",
    "bytes not UTF-8": STD[SIG].encode() + b"\xff\xfe",
    "bytes CRLF": STD[SIG].encode() + b"\r\n",
    "bytes NUL": b"\x00" + STD[SIG].encode(),
}


@pytest.mark.parametrize("header", [SIG, "webhook-id", "webhook-timestamp"])
@pytest.mark.parametrize("what", list(BAD_VALUES))
def test_bad_header_values_are_malformed_header(what, header):
    value = BAD_VALUES[what]
    if header != SIG:  # the same damage on the id / timestamp header
        base = STD[header]
        value = (
            value.replace(STD[SIG], base) if isinstance(value, str) else value.replace(STD[SIG].encode(), base.encode())
        )
    headers = {**STD, header: value}
    assert code_of(lambda: std().verify(BODY, headers, now=NOW)) == "malformed_header"
    assert code_of(lambda: std().verify_signature(BODY, headers, now=NOW)) == "malformed_header"
    assert receiver_code(headers) == "malformed_header"
    report = diagnosed(headers)
    assert not report.valid and not all(c.ok for c in report.checks)


def test_header_names_with_control_bytes_are_not_the_header():
    headers = {"webhook-id": STD["webhook-id"], "webhook-timestamp": STD["webhook-timestamp"], SIG + "\r\n": STD[SIG]}
    assert code_of(lambda: std().verify(BODY, headers, now=NOW)) == "missing_header"
    assert std().verify(BODY, {**STD, "webhook-signature\x00": "x", "webhook-signature\n": "y"}, now=NOW).id == "msg_1"


def test_huge_unrelated_headers_and_many_headers_are_ignored_quickly():
    headers = [*STD.items(), ("X-Junk", "x" * (8 * 1024 * 1024))] + [(f"X-H{i}", "v") for i in range(100_000)]
    start = time.monotonic()
    assert std().verify(BODY, headers, now=NOW).id == "msg_1"
    assert diagnosed(headers).valid
    assert time.monotonic() - start < 5


def test_exactly_16_kib_is_read_and_one_more_byte_is_not():
    # Extra whitespace-separated signatures pad the value (Standard Webhooks lists them with spaces).
    pad = 16 * 1024 - len(STD[SIG]) - 1
    at_limit = STD[SIG] + " " + "v1," + "A" * (pad - 3)
    assert len(at_limit.encode()) == 16 * 1024
    assert std().verify(BODY, {**STD, SIG: at_limit}, now=NOW).id == "msg_1"  # the valid entry in the list matches
    assert code_of(lambda: std().verify(BODY, {**STD, SIG: at_limit + "A"}, now=NOW)) == "malformed_header"


# ---------------------------------------------------------------- duplicates

DUPLICATES = {
    "pairs": [*STD.items(), (SIG, STD[SIG])],
    "dict case variants": {**STD, SIG.upper(): STD[SIG]},
    "bytes and str names": {**STD, SIG.encode(): STD[SIG].encode()},
    "timestamp twice": [*STD.items(), ("Webhook-Timestamp", STD["webhook-timestamp"])],
    "id twice": [*STD.items(), ("WEBHOOK-ID", "msg_2")],
    "svix alias and webhook": {**STD, "svix-signature": STD[SIG]},
}


@pytest.mark.parametrize("what", list(DUPLICATES))
def test_duplicate_security_headers(what):
    headers = DUPLICATES[what]
    if what == "svix alias and webhook":
        # Two header sets of one scheme: the first set present is read (documented), so this verifies.
        assert std().verify(BODY, headers, now=NOW).id == "msg_1"
        return
    assert code_of(lambda: std().verify(BODY, headers, now=NOW)) == "malformed_header"
    assert receiver_code(headers) == "malformed_header"
    report = diagnosed(headers)
    assert not report.valid and any(
        not c.ok and c.name in ("signature_header", "id_header", "timestamp") for c in report.checks
    )


def test_duplicate_github_signature_in_diagnose_names_the_count():
    body = b'{"a":1}'
    h = gh_headers(body, "d1")
    report = hv.diagnose(
        body, [*h.items(), ("x-hub-signature-256", h["X-Hub-Signature-256"])], secrets=[GH_SECRET], now=NOW
    )
    check = report.check("signature_header")
    assert not report.valid and not check.ok and "2 times" in check.detail, check


# ---------------------------------------------------------------- bodies


def _deep(depth: int, kind: str) -> bytes:
    inner = '"x"'
    if kind == "arrays":
        return ("[" * depth + inner + "]" * depth).encode()
    return ('{"type":"t","data":' + '{"a":' * depth + inner + "}" * depth + "}").encode()


@pytest.mark.parametrize("kind", ["arrays", "objects"])
def test_ten_thousand_deep_json(kind):
    body = _deep(10_000, kind)
    headers = std_headers(body, "msg_deep", NOW)
    assert std().verify_signature(body, headers, now=NOW).key_index == 0
    assert code_of(lambda: std().verify(body, headers, now=NOW)) == "invalid_json"
    assert receiver_code(headers, body) == "invalid_json"
    report = diagnosed(headers, body)
    assert report.valid and report.check("event").ok is False and "invalid_json" in report.check("event").detail
    # Invalid signature: the hint search re-serializes the body as JSON; nesting stays bounded.
    bad = diagnosed({**headers, SIG: STD[SIG]}, body)
    assert not bad.valid and bad.hints == ()


@pytest.mark.parametrize("body", [b"\xff\xfe\xfd", b'{"type":"t","data":"\xe9"}', b"\xc3\x28", b""])
def test_invalid_utf8_bodies(body):
    headers = std_headers(body, "msg_u", NOW)
    assert std().verify_signature(body, headers, now=NOW).key_index == 0
    assert code_of(lambda: std().verify(body, headers, now=NOW)) == "invalid_json"
    assert diagnosed(headers, body).valid


def test_bodies_over_the_cap():
    v = hv.Verifier(scheme="standard", secret=WHSEC, max_body_bytes=len(BODY) - 1)
    err = pytest.raises(hv.HookverifyError, v.verify, BODY, STD, now=NOW).value
    assert err.code == "payload_too_large" and err.details == {"size": len(BODY), "limit": len(BODY) - 1}
    assert code_of(lambda: v.verify_signature(BODY, STD, now=NOW)) == "payload_too_large"
    assert (
        code_of(lambda: hv.Verifier(scheme="standard", secret=WHSEC, max_body_bytes=0).verify(b"x", STD, now=NOW))
        == "payload_too_large"
    )
    r = hv.Receiver(scheme="standard", secret=WHSEC, max_body_bytes=len(BODY) - 1)
    assert r.too_large(len(BODY)).status == 413
    d = r.begin("/h", BODY, STD, now=NOW)
    assert d.status == 413 and d.error.code == "payload_too_large"


def test_diagnose_over_the_default_cap_is_a_failed_check():
    big = b"x" * (hv.DEFAULT_MAX_BODY_BYTES + 1)
    report = hv.diagnose(big, std_headers(big, "m", NOW), secrets=[WHSEC], now=NOW)
    # The MAC is right, but the verifier refuses the size: invalid, with the failed body_size check saying why.
    assert not report.valid and report.check("body_size").ok is False and report.check("signature").ok
    assert code_of(lambda: std().verify_signature(big, std_headers(big, "m", NOW), now=NOW)) == "payload_too_large"


# ---------------------------------------------------------------- timestamps

BAD_TIMESTAMPS = [
    "-1",
    "+1700000000",
    "1e9",
    "1700000000.5",
    " 17 00",
    "0x10",
    "abc",
    "",
    "99999999999999999999999",
    "1700000000000",
    "1700000000000000",
    "١٧٠٠٠٠٠٠٠٠",
]


@pytest.mark.parametrize("ts", BAD_TIMESTAMPS)
def test_absurd_header_timestamps(ts):
    headers = std_headers(BODY, "msg_t", ts)
    # Empty, or not ASCII (spec/policy.md "Header bytes"): the header is unusable before it is a timestamp.
    want = "malformed_header" if ts == "" or not ts.isascii() else "malformed_timestamp"
    assert code_of(lambda: std().verify(BODY, headers, now=NOW)) == want
    assert receiver_code(headers) == want
    assert not diagnosed(headers).valid


@pytest.mark.parametrize("ts", [0, 1, 253402300799])
def test_extreme_but_wellformed_timestamps_are_outside_the_window(ts):
    headers = std_headers(BODY, "msg_t", ts)
    want = "timestamp_too_old" if ts < NOW else "timestamp_too_new"
    assert code_of(lambda: std().verify(BODY, headers, now=NOW)) == want
    report = diagnosed(headers)
    assert report.check("timestamp_window").ok is False and report.codes == ("clock_skew",)


@pytest.mark.parametrize(
    "now,code",
    [
        (-1, "timestamp_too_new"),
        (-(2**63), "timestamp_too_new"),
        (2**63 - 1, "timestamp_too_old"),
        (NOW * 1000, "timestamp_too_old"),
        (0, "timestamp_too_new"),
    ],
)
def test_absurd_now(now, code):
    assert code_of(lambda: std().verify(BODY, STD, now=now)) == code
    assert receiver_code(STD, now=now) == code
    report = diagnosed(STD, now=now)
    assert not report.valid
    if now == NOW * 1000:
        assert report.codes == ("timestamp_unit",)


@pytest.mark.parametrize(
    "now", [2**63, -(2**63) - 1, 10**30, 1.5, float("nan"), float("inf"), "1700000000", b"1", True, [NOW]]
)
def test_now_of_the_wrong_type_or_range(now):
    assert code_of(lambda: std().verify(BODY, STD, now=now)) == "invalid_argument"
    assert code_of(lambda: hv.diagnose(BODY, STD, secrets=[WHSEC], now=now)) == "invalid_argument"
    r = hv.Receiver(scheme="standard", secret=WHSEC)
    assert code_of(lambda: r.begin("/h", BODY, STD, now=now)) == "invalid_argument"


@pytest.mark.parametrize("ts", [-1, 2**63, 2**64, 1.5, "1", True])
def test_sign_timestamp_of_the_wrong_type_or_range(ts):
    assert code_of(lambda: hv.sign(scheme="stripe", secret="k", body=b"", timestamp=ts)) == "invalid_argument"


# ---------------------------------------------------------------- header values and containers of the wrong type


class Opaque:
    def __str__(self) -> str:
        return STD[SIG]


@pytest.mark.parametrize("value", [5, None, Opaque(), 1.5, ["x"], bytearray(b"v1,x"), True])
def test_non_string_header_values(value):
    headers = {**STD, SIG: value}
    assert code_of(lambda: std().verify(BODY, headers, now=NOW)) == "invalid_argument"
    assert code_of(lambda: hv.diagnose(BODY, headers, secrets=[WHSEC], now=NOW)) == "invalid_argument"
    r = hv.Receiver(scheme="standard", secret=WHSEC)
    assert code_of(lambda: r.begin("/h", BODY, headers, now=NOW)) == "invalid_argument"


def test_non_string_values_of_unrelated_headers_are_ignored():
    headers = {**STD, "X-Count": 5, "X-None": None, "X-Obj": object()}
    assert std().verify(BODY, headers, now=NOW).id == "msg_1"
    assert diagnosed(headers).valid


class BrokenMapping:
    def items(self):
        raise RuntimeError("the framework's header object failed")


@pytest.mark.parametrize("headers", [5, "webhook-signature: x", b"raw", None, 1.5, [("a", "b", "c")], [5], object()])
def test_header_containers_of_the_wrong_type(headers):
    assert code_of(lambda: std().verify(BODY, headers, now=NOW)) == "invalid_argument"
    assert code_of(lambda: hv.diagnose(BODY, headers, secrets=[WHSEC], now=NOW)) == "invalid_argument"
    r = hv.Receiver(scheme="standard", secret=WHSEC)
    assert code_of(lambda: r.begin("/h", BODY, headers, now=NOW)) == "invalid_argument"


def test_a_mapping_that_raises_propagates_its_own_error():
    with pytest.raises(RuntimeError, match="header object failed"):
        std().verify(BODY, BrokenMapping(), now=NOW)
    with pytest.raises(RuntimeError):
        hv.diagnose(BODY, BrokenMapping(), secrets=[WHSEC], now=NOW)


@pytest.mark.parametrize("body", [{"type": "t"}, [1], 5, None, 1.5, object(), "\ud800"])
def test_bodies_of_the_wrong_type(body):
    assert code_of(lambda: std().verify(body, STD, now=NOW)) == "invalid_argument"
    assert code_of(lambda: std().verify_signature(body, STD, now=NOW)) == "invalid_argument"
    assert code_of(lambda: hv.diagnose(body, STD, secrets=[WHSEC], now=NOW)) == "invalid_argument"
    assert code_of(lambda: hv.sign(scheme="github", secret="k", body=body)) == "invalid_argument"
    r = hv.Receiver(scheme="standard", secret=WHSEC)
    assert code_of(lambda: r.begin("/h", body, STD, now=NOW)) == "invalid_argument"
    assert code_of(lambda: r.handle("/h", body, STD, now=NOW)) == "invalid_argument"


def test_async_begin_with_a_body_of_the_wrong_type():
    import asyncio

    r = hv.Receiver(scheme="standard", secret=WHSEC)
    with pytest.raises(hv.HookverifyError) as err:
        asyncio.run(r.begin_async("/h", 5, STD, now=NOW))
    assert err.value.code == "invalid_argument"


# ---------------------------------------------------------------- constructors and functions of the pipeline


def _receiver(**kw):
    return hv.Receiver(**{"scheme": "standard", "secret": WHSEC, **kw})


WRONG = [
    ("Receiver scheme int", lambda: _receiver(scheme=5)),
    ("Receiver scheme list", lambda: _receiver(scheme=["standard"])),
    ("Receiver secret int", lambda: _receiver(secret=5)),
    ("Receiver secrets int", lambda: hv.Receiver(scheme="standard", secrets=5)),
    ("Receiver mode int", lambda: _receiver(mode=1)),
    ("Receiver store str", lambda: _receiver(store="memory")),
    ("Receiver providers empty", lambda: hv.Receiver([])),
    ("Receiver providers str", lambda: hv.Receiver("standard")),
    (
        "Receiver providers and scheme",
        lambda: hv.Receiver([hv.Provider("a", scheme="github", secret="k")], scheme="github"),
    ),
    ("Receiver unhandled_status str", lambda: _receiver(unhandled_status="404")),
    ("Receiver unhandled_status 1000", lambda: _receiver(unhandled_status=1000)),
    ("Receiver unhandled_status bool", lambda: _receiver(unhandled_status=True)),
    ("Receiver lease str", lambda: _receiver(lease="60")),
    ("Receiver lease negative", lambda: _receiver(lease=-1)),
    ("Receiver lease zero", lambda: _receiver(lease=0)),
    ("Receiver lease nan", lambda: _receiver(lease=float("nan"))),
    ("Receiver lease inf", lambda: _receiver(lease=float("inf"))),
    ("Receiver retention bool", lambda: _receiver(retention=True)),
    ("Receiver namespace int", lambda: _receiver(namespace=5)),
    ("Receiver allow_sync_header str", lambda: _receiver(allow_sync_header="yes")),
    ("Receiver max_workers 0", lambda: _receiver(max_workers=0)),
    ("Receiver max_workers str", lambda: _receiver(max_workers="4")),
    ("Receiver tolerance negative", lambda: _receiver(tolerance=-5)),
    ("Receiver on pattern int", lambda: _receiver().on(5, print)),
    ("Receiver on handler str", lambda: _receiver().on("*", "not callable")),
    ("Receiver on provider int", lambda: _receiver().on("*", print, provider=5)),
    ("Receiver unhandled None", lambda: _receiver().unhandled(None)),
    ("Receiver begin path int", lambda: _receiver().begin(5, BODY, STD, now=NOW)),
    ("Receiver begin path bytes", lambda: _receiver().begin(b"/h", BODY, STD, now=NOW)),
    ("Receiver finish not a delivery", lambda: _receiver().finish("d", True)),
    ("Receiver accepted not a delivery", lambda: _receiver().accepted(None)),
    ("Provider name int", lambda: hv.Provider(5, scheme="github", secret="k")),
    ("Provider name empty", lambda: hv.Provider("", scheme="github", secret="k")),
    ("Provider verifier str", lambda: hv.Provider("a", "github")),
    ("Provider match int", lambda: hv.Provider("a", scheme="github", secret="k", match=5)),
    ("Provider match triple", lambda: hv.Provider("a", scheme="github", secret="k", match=("a", "b", "c"))),
    (
        "Provider verifier and options",
        lambda: hv.Provider("a", hv.Verifier(scheme="github", secret="k"), scheme="github"),
    ),
    ("MemoryStore capacity 0", lambda: hv.MemoryStore(0)),
    ("MemoryStore capacity negative", lambda: hv.MemoryStore(-1)),
    ("MemoryStore capacity str", lambda: hv.MemoryStore("10")),
    ("MemoryStore capacity float", lambda: hv.MemoryStore(1.5)),
    ("RedisStore url int", lambda: hv.RedisStore(5)),
    ("RedisStore url not a URL", lambda: hv.RedisStore("not a url")),
    ("RedisStore prefix int", lambda: hv.RedisStore(prefix=5)),
    ("RedisStore timeout 0", lambda: hv.RedisStore(timeout=0)),
    ("RedisStore timeout nan", lambda: hv.RedisStore(timeout=float("nan"))),
    ("RedisStore timeout inf", lambda: hv.RedisStore(timeout=float("inf"))),
    ("RedisStore timeout str", lambda: hv.RedisStore(timeout="2")),
    ("Router on pattern int", lambda: hv.Router().on(5, print)),
    ("Router matches int", lambda: _router().matches(5)),
    ("Verifier max_body_bytes negative", lambda: hv.Verifier(scheme="github", secret="k", max_body_bytes=-1)),
    ("Verifier max_body_bytes huge", lambda: hv.Verifier(scheme="github", secret="k", max_body_bytes=2**70)),
    ("Verifier secrets dict", lambda: hv.Verifier(scheme="github", secrets={"k": 1})),
    ("Verifier secret bytes empty", lambda: hv.Verifier(scheme="github", secret=b"")),
    ("sign scheme list", lambda: hv.sign(scheme=["github"], secret="k", body=b"")),
    ("sign scheme None", lambda: hv.sign(scheme=None, secret="k", body=b"")),
    ("sign id bytes", lambda: hv.sign(scheme="standard", secret=WHSEC, body=b"", id=b"m", timestamp=NOW)),
]


def _router():
    r = hv.Router()
    r.on("user.*", print)
    return r


@pytest.mark.parametrize("name,call", WRONG, ids=[w[0] for w in WRONG])
def test_pipeline_arguments_of_the_wrong_type(name, call):
    with pytest.raises(hv.HookverifyError) as err:
        call()
    assert err.value.code in ("invalid_argument", "invalid_secret"), (name, err.value.code, err.value)
    if "secret bytes empty" in name:
        assert err.value.code == "invalid_secret"


@pytest.mark.parametrize(
    "call",
    [
        lambda: hv.Verifier(secret="k"),
        lambda: hv.Verifier(scheme="github", secret="k", tolerence=5),
        lambda: hv.Verifier("github"),
        lambda: hv.sign(scheme="github", secret="k"),
        lambda: hv.diagnose(b"", {}),
        lambda: hv.Receiver(scheme="standard", secret=WHSEC).begin("/h", STD),
        lambda: hv.RedisStore("redis://127.0.0.1:6379/0", "prefix-positional"),
    ],
    ids=[
        "no scheme",
        "typo keyword",
        "positional scheme",
        "sign no body",
        "diagnose no secrets",
        "begin no body",
        "positional prefix",
    ],
)
def test_calling_convention_errors_are_type_errors(call):
    with pytest.raises(TypeError):
        call()


# ---------------------------------------------------------------- the shared attack vectors, through diagnose too

ATTACKS = load_vectors("attacks/malformed_headers.json")


@pytest.mark.parametrize("case", ATTACKS["cases"], ids=lambda c: c["id"])
def test_attack_vectors_through_diagnose_and_the_receiver(case):
    """test_vectors.py runs these through Verifier; here diagnose agrees and never raises."""
    inputs = case["inputs"]
    scheme, secret, body, headers = attack_inputs(case)
    # diagnose uses the scheme's default window: every case here uses that same window.
    assert hv.Verifier(scheme=scheme, secret=WHSEC).tolerance == inputs.get("tolerance")
    report = hv.diagnose(body, headers, secrets=[secret], scheme=scheme, now=inputs.get("now", 0))
    assert report.valid is (case["expect"] == "accept"), (case["id"], report.to_json())
    assert json.loads(report.to_json())["valid"] is report.valid
