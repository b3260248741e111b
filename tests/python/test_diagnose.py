"""hookverify.diagnose against tests/vectors/diagnose.json (stdlib-only generator) and the CLI.

Each case must give the expected validity, scheme, hint codes and failed checks; its JSON must be
byte-identical to what `hookverify diagnose --json` prints; and no report may contain a 6-character
piece of a secret or of the case's `forbidden` strings (expected MACs in every encoding).
"""

import dataclasses
import json
import re
import subprocess

import pytest
from conftest import ROOT, assert_mypy_strict, load_vectors

import hookverify as hv

DOC = load_vectors("diagnose.json")
CASES = DOC["tests"]
CLI = ROOT / "target" / "release" / "hookverify"


def _body(case) -> bytes:
    return bytes.fromhex(case["body_hex"]) if "body_hex" in case else case["body"].encode("utf-8")


def _diagnose(case, headers=None) -> hv.Report:
    return hv.diagnose(
        _body(case),
        case["headers"] if headers is None else headers,
        secrets=case["secrets"],
        scheme=case["scheme"],
        now=case["now"],
        url=case.get("url"),
        method=case.get("method"),
        public_keys=case.get("public_keys", ()),
    )


def _pieces(secret: str):
    return {secret[i : i + 6] for i in range(len(secret) - 5)}


def assert_no_leak(texts, secrets) -> None:
    text = "\n".join(texts)
    for s in secrets:
        for piece in _pieces(s):
            assert piece not in text, f"{piece!r} of a secret/forbidden string is in the report"


def _report_texts(report: hv.Report):
    """The JSON (escaped) and every string unescaped, plus the reprs Python users print."""
    return (
        [report.to_json(), repr(report), str(report)]
        + [c.detail for c in report.checks]
        + [h.message for h in report.hints]
    )


def test_vector_file_is_whole():
    assert DOC["numberOfTests"] == len(CASES) == 62
    assert [c["tcId"] for c in CASES] == list(range(1, len(CASES) + 1))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"tc{c['tcId']}")
def test_vector_case(case):
    report = _diagnose(case)
    where = f"tc{case['tcId']} {case['comment']}: {report.to_json()}"
    assert report.valid is (case["result"] == "valid"), where
    assert report.scheme == case["scheme_used"], where
    assert report.detected is case["detected"], where
    assert report.key_index == case["key_index"], where
    assert [h.code for h in report.hints] == case["hints"] == list(report.codes), where
    assert [c.name for c in report.checks if not c.ok] == case["failed_checks"], where
    if case["event"] is None:
        assert report.event is None, where
    else:
        assert report.event == hv.EventSummary(**case["event"]), where
    assert all(h.code in hv.HINT_CODES for h in report.hints)
    assert_no_leak(_report_texts(report), case["secrets"] + case["forbidden"])


@pytest.mark.parametrize("form", ["pairs", "upper", "bytes", "lower-bytes-names"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"tc{c['tcId']}")
def test_vector_case_header_shapes(case, form):
    """The same report whatever shape the headers come in (names are case-insensitive)."""
    h = case["headers"]
    headers = {
        "pairs": list(h.items()),
        "upper": {k.upper(): v for k, v in h.items()},
        "bytes": [(k.encode(), v.encode()) for k, v in h.items()],
        "lower-bytes-names": {k.lower().encode(): v for k, v in h.items()},
    }[form]
    assert _diagnose(case, headers).to_json() == _diagnose(case).to_json()


def _cli_json(case) -> str:
    cmd = [str(CLI), "diagnose", "--json", f"--now={case['now']}"]
    if isinstance(case["scheme"], str):
        cmd.append(f"--scheme={case['scheme']}")
    elif case["scheme"] is not None:
        cmd.append("--scheme-json=" + json.dumps(case["scheme"]))
    cmd += [f"--secret={s}" for s in case["secrets"]]
    cmd += [f"--header={k}: {v}" for k, v in case["headers"].items()]
    cmd += [f"--public-key={k}" for k in case.get("public_keys", ())]
    cmd += [f"--{field}={case[field]}" for field in ("url", "method") if field in case]
    run = subprocess.run(cmd, input=_body(case), capture_output=True, timeout=30)
    assert run.returncode == (0 if case["result"] == "valid" else 1), run.stderr.decode()
    out = run.stdout.decode("utf-8")
    assert out.endswith("\n") and out.count("\n") == 1
    return out[:-1]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"tc{c['tcId']}")
def test_json_is_byte_identical_to_the_cli(case):
    assert CLI.exists(), "build the CLI: cargo build --release -p hookverify-cli (scripts/test-python.sh does)"
    assert _diagnose(case).to_json() == _cli_json(case)


def test_report_object():
    case = next(c for c in CASES if c["hints"] == ["body_line_endings"])
    report = _diagnose(case)
    assert isinstance(report.checks, tuple) and isinstance(report.checks[0], hv.Check)
    assert report.check("hint_search") is not None and report.check("nope") is None
    assert report.hints[0] == hv.Hint(code="body_line_endings", message=report.hints[0].message)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.valid = True  # type: ignore[misc]
    # The JSON fields, in the documented order; a rebuilt report serializes to the same bytes.
    assert list(json.loads(report.to_json())) == [
        "valid",
        "scheme",
        "detected",
        "key_index",
        "checks",
        "hints",
        "event",
    ]
    assert dataclasses.replace(report).to_json() == report.to_json()
    assert hv.Report.from_json(report.to_json()) == report
    assert "_json" not in repr(report)
    assert hash(report) == hash(dataclasses.replace(report))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"tc{c['tcId']}")
def test_rebuilt_json_equals_the_core_json(case):
    """The pure-Python serializer (for reports built by hand) writes the core's bytes too."""
    report = _diagnose(case)
    assert dataclasses.replace(report).to_json() == report.to_json()


def _spec_hint_codes():
    spec = (ROOT / "spec" / "errors.md").read_text(encoding="utf-8")
    section = spec[spec.index("## Diagnose hints") :]
    return tuple(re.findall(r"^\|\s*`([a-z_]+)`\s*\|", section, re.M))


def test_hint_codes_match_core_and_spec():
    source = (ROOT / "core" / "src" / "diagnose" / "mod.rs").read_text()
    block = re.search(r"const ALL: &'static \[HintCode\] = &\[(.*?)\];", source, re.S).group(1)
    strings = dict(re.findall(r'HintCode::(\w+) => "([a-z_]+)"', source))
    assert hv.HINT_CODES == tuple(strings[v] for v in re.findall(r"HintCode::(\w+)", block))
    assert hv.HINT_CODES == _spec_hint_codes(), "spec/errors.md's Diagnose hints table drifted from HintCode::ALL"
    assert not set(hv.HINT_CODES) & set(hv.ERROR_CODES)


def test_every_hint_code_has_a_vector_case():
    seen = {code for c in CASES for code in c["hints"]}
    assert seen == set(hv.HINT_CODES)


def test_now_defaults_to_the_clock_and_scheme_accepts_a_spec_dict():
    case = CASES[0]
    report = hv.diagnose(_body(case), case["headers"], secrets=case["secrets"], scheme="standard")
    assert not report.valid and report.check("timestamp_window").ok is False  # signed in 2023
    spec = {"name": "generic", "signature_header": "X-Webhook-Signature"}
    report = hv.diagnose(b"{}", {"x-webhook-signature": "00"}, secrets=["k"], scheme=spec, now=0)
    assert report.scheme == "generic" and not report.check("signature_header").ok


def test_body_types_give_the_same_report():
    case = CASES[0]
    body = _body(case)
    want = _diagnose(case).to_json()
    for form in (bytearray(body), memoryview(body), body.decode()):
        got = hv.diagnose(form, case["headers"], secrets=case["secrets"], scheme=case["scheme"], now=case["now"])
        assert got.to_json() == want


def test_nothing_detected_and_no_secrets_are_reports_not_errors():
    r = hv.diagnose(b"", {}, secrets=[], now=0)
    assert (r.valid, r.scheme, r.checks[0].name, r.checks[0].ok) == (False, None, "scheme", False)
    r = hv.diagnose(b"{}", {"X-Hub-Signature-256": "sha256=" + "ab" * 32}, secrets=(), now=0)
    assert r.scheme == "github" and r.check("secrets").ok is False


WRONG = [
    ("headers int", lambda: hv.diagnose(b"", 5, secrets=["k"])),
    ("headers str", lambda: hv.diagnose(b"", "X-Hub-Signature-256: x", secrets=["k"])),
    ("headers None", lambda: hv.diagnose(b"", None, secrets=["k"])),
    ("header value int", lambda: hv.diagnose(b"", {"X-Hub-Signature-256": 5}, secrets=["k"])),
    ("header value None", lambda: hv.diagnose(b"", {"X-Hub-Signature-256": None}, secrets=["k"])),
    ("header value object", lambda: hv.diagnose(b"", {"X-Hub-Signature-256": object()}, secrets=["k"])),
    ("header name int", lambda: hv.diagnose(b"", {1: "x"}, secrets=["k"])),
    ("pairs not pairs", lambda: hv.diagnose(b"", [("a",)], secrets=["k"])),
    ("body dict", lambda: hv.diagnose({"a": 1}, {}, secrets=["k"])),
    ("body list", lambda: hv.diagnose([1], {}, secrets=["k"])),
    ("body int", lambda: hv.diagnose(5, {}, secrets=["k"])),
    ("body None", lambda: hv.diagnose(None, {}, secrets=["k"])),  # type: ignore[arg-type]
    ("body lone surrogate", lambda: hv.diagnose("\ud800", {}, secrets=["k"])),
    ("secrets int", lambda: hv.diagnose(b"", {}, secrets=5)),  # type: ignore[arg-type]
    ("secrets str", lambda: hv.diagnose(b"", {}, secrets="k")),
    ("secrets None", lambda: hv.diagnose(b"", {}, secrets=None)),  # type: ignore[arg-type]
    ("secret bytes", lambda: hv.diagnose(b"", {}, secrets=[b"k"])),  # type: ignore[list-item]
    ("secret int", lambda: hv.diagnose(b"", {}, secrets=["k", 1])),  # type: ignore[list-item]
    ("secret lone surrogate", lambda: hv.diagnose(b"", {}, secrets=["\udfff"])),
    ("scheme int", lambda: hv.diagnose(b"", {}, secrets=["k"], scheme=5)),
    ("scheme list", lambda: hv.diagnose(b"", {}, secrets=["k"], scheme=["github"])),
    ("now str", lambda: hv.diagnose(b"", {}, secrets=["k"], now="1700000000")),  # type: ignore[arg-type]
    ("now float", lambda: hv.diagnose(b"", {}, secrets=["k"], now=1.0)),  # type: ignore[arg-type]
    ("now nan", lambda: hv.diagnose(b"", {}, secrets=["k"], now=float("nan"))),  # type: ignore[arg-type]
    ("now huge", lambda: hv.diagnose(b"", {}, secrets=["k"], now=2**63)),
    ("now bool", lambda: hv.diagnose(b"", {}, secrets=["k"], now=True)),
]


@pytest.mark.parametrize("name,call", WRONG, ids=[w[0] for w in WRONG])
def test_wrong_types_are_invalid_argument(name, call):
    with pytest.raises(hv.HookverifyError) as err:
        call()
    assert err.value.code == "invalid_argument", err.value


def test_bad_scheme_names_and_specs_keep_their_codes():
    with pytest.raises(hv.HookverifyError) as err:
        hv.diagnose(b"", {}, secrets=["k"], scheme="paypal")
    assert err.value.code == "unknown_scheme"
    with pytest.raises(hv.HookverifyError) as err:
        hv.diagnose(b"", {}, secrets=["k"], scheme={"name": "x", "signature_header": "bad header"})
    assert err.value.code == "invalid_scheme"


def test_missing_or_unknown_keywords_are_type_errors():
    with pytest.raises(TypeError):
        hv.diagnose(b"", {})  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        hv.diagnose(b"", {}, secrets=["k"], secret="k")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        hv.diagnose(b"", {}, ["k"])  # type: ignore[misc]


def test_types_check_under_mypy_strict(tmp_path):
    assert_mypy_strict(
        tmp_path,
        "import hookverify as hv\n"
        "from typing import Optional, Tuple\n"
        "r: hv.Report = hv.diagnose(b'{}', {'X-Hub-Signature-256': 'x'}, secrets=['k'], scheme='github', now=1)\n"
        "r2 = hv.diagnose('{}', [(b'a', b'b')], secrets=('k',), scheme={'name': 'x', 'signature_header': 'X-S'})\n"
        "ok: bool = r.valid and r2.detected\n"
        "name: Optional[str] = r.scheme\n"
        "codes: Tuple[str, ...] = tuple(h.code for h in r.hints) + hv.HINT_CODES\n"
        "c: Optional[hv.Check] = r.check('signature')\n"
        "e: Optional[hv.EventSummary] = r.event\n"
        "text: str = r.to_json()\n",
    )
