"""werkzeug's EnvironHeaders (Flask's ``request.headers``) is read from its WSGI environ natively.

The reference for every case is werkzeug's own iteration of the same object (``list(headers.items())``,
which takes the generic Mapping path): both must give the same verdict, error code and event.
Signatures come from Python's hmac (conftest.std_headers), never from hookverify's signer.
"""

import flask
import pytest
from conftest import GH_SECRET, WHSEC, envelope, gh_headers, std_headers
from werkzeug.datastructures import EnvironHeaders

import hookverify as hv
from hookverify.flask import _content_length, to_response

BODY = envelope()


def wsgi_key(name: str) -> str:
    return "HTTP_" + name.upper().replace("-", "_")


def environ(headers: dict, **extra) -> dict:
    env = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/hooks",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(BODY)),
        "HTTP_HOST": "localhost",
        "HTTP_USER_AGENT": "test",
        "HTTP_ACCEPT": "*/*",
    }
    env.update({wsgi_key(k): v for k, v in headers.items()})
    env.update(extra)
    return env


def outcome(fn):
    try:
        e = fn()
    except hv.HookverifyError as err:
        return ("error", err.code)
    if isinstance(e, hv.Event):
        return ("ok", e.id, e.type, e.key_index, e.data_json)
    return ("ok", e.key_index, e.timestamp, e.message_id)


def same_as_werkzeug(verifier, env, body=BODY, now=None, method="verify"):
    headers = EnvironHeaders(env)
    check = getattr(verifier, method)
    fast = outcome(lambda: check(body, headers, now))
    reference = outcome(lambda: check(body, list(headers.items()), now))
    assert fast == reference
    return fast


STD = hv.Verifier(scheme="standard", secret=WHSEC)


def test_a_flask_request_verifies_like_its_header_list():
    assert same_as_werkzeug(STD, environ(std_headers(BODY, "msg_1")))[:2] == ("ok", "msg_1")


@pytest.mark.parametrize(
    "label, change, want",
    [
        ("missing signature", lambda env: env.pop("HTTP_WEBHOOK_SIGNATURE"), "error"),
        ("tampered signature", lambda env: env.update(HTTP_WEBHOOK_SIGNATURE="v1,AAAA"), "error"),
        # A key werkzeug reads as the same header (`-` kept, lower case): two instances, refused.
        ("duplicate via '-' spelling", lambda env: env.update({"HTTP_WEBHOOK-ID": "msg_other"}), "error"),
        ("duplicate via lower case", lambda env: env.update({"HTTP_webhook_id": "msg_other"}), "error"),
        # werkzeug skips HTTP_CONTENT_TYPE/LENGTH and empty CONTENT_*: nothing changes.
        ("HTTP_CONTENT_TYPE", lambda env: env.update(HTTP_CONTENT_TYPE="text/plain"), "ok"),
        ("empty CONTENT_TYPE", lambda env: env.update(CONTENT_TYPE=""), "ok"),
        ("no CONTENT_LENGTH", lambda env: env.pop("CONTENT_LENGTH"), "ok"),
        # Unusual environs take werkzeug's own iteration (same result, or the same exception).
        ("non-ASCII key", lambda env: env.update({"HTTP_X_\u00dfIG": "x"}), "ok"),
        ("bytes value", lambda env: env.update(HTTP_WEBHOOK_ID=b"msg_1"), "ok"),
        ("long unrelated key", lambda env: env.update({"HTTP_" + "X" * 100: "x"}), "ok"),
        (
            "whitespace around a value",
            lambda env: env.update(HTTP_WEBHOOK_TIMESTAMP=" " + env["HTTP_WEBHOOK_TIMESTAMP"] + "\t"),
            "ok",
        ),
    ],
)
def test_environ_edge_cases_match_werkzeug(label, change, want):
    env = environ(std_headers(BODY, "msg_1"))
    change(env)
    assert same_as_werkzeug(STD, env)[0] == want, label


def test_non_str_environ_key_raises_as_werkzeug_does():
    env = environ(std_headers(BODY, "msg_1"))
    env[b"HTTP_X"] = "x"
    with pytest.raises(TypeError):
        list(EnvironHeaders(env).items())
    with pytest.raises(TypeError):
        STD.verify(BODY, EnvironHeaders(env))


def test_content_type_and_underscore_header_names():
    import hashlib
    import hmac

    sig = hmac.new(b"s3cret", BODY, hashlib.sha256).hexdigest()
    # CONTENT_TYPE is werkzeug's Content-Type: a scheme reading that header finds it.
    ct = hv.Verifier(scheme={"name": "ct-sig", "signature_header": "Content-Type"}, secret="s3cret")
    assert same_as_werkzeug(ct, environ({}, CONTENT_TYPE=sig), method="verify_signature")[0] == "ok"
    assert (
        same_as_werkzeug(ct, environ({}, CONTENT_TYPE="", HTTP_CONTENT_TYPE=sig), method="verify_signature")[0]
        == "error"
    )
    # werkzeug names HTTP_X_SIG "X-Sig", never "X_Sig": a scheme reading X_Sig does not find it.
    under = hv.Verifier(scheme={"name": "under", "signature_header": "X_Sig"}, secret="s3cret")
    assert same_as_werkzeug(under, environ({}, HTTP_X_SIG=sig), method="verify_signature") == (
        "error",
        "missing_header",
    )
    dash = hv.Verifier(scheme={"name": "dash", "signature_header": "X-Sig"}, secret="s3cret")
    assert same_as_werkzeug(dash, environ({}, HTTP_X_SIG=sig), method="verify_signature")[0] == "ok"


def test_github_headers_through_environ():
    v = hv.Verifier(scheme="github", secret=GH_SECRET)
    body = b'{"action":"opened"}'
    assert same_as_werkzeug(v, environ(gh_headers(body, "d-1")), body=body)[0] == "ok"


def test_a_subclass_of_environheaders_is_iterated_its_own_way():
    class Renamed(EnvironHeaders):
        def __iter__(self):  # hides the signature: the result must follow this iteration
            for k, v in super().__iter__():
                if k.lower() != "webhook-signature":
                    yield k, v

    env = environ(std_headers(BODY, "msg_1"))
    assert outcome(lambda: STD.verify(BODY, EnvironHeaders(env)))[0] == "ok"
    assert outcome(lambda: STD.verify(BODY, Renamed(env))) == outcome(
        lambda: STD.verify(BODY, list(Renamed(env).items()))
    )
    assert outcome(lambda: STD.verify(BODY, Renamed(env)))[0] == "error"


def test_pipeline_reads_environheaders_like_items():
    def receiver():
        r = hv.Receiver([hv.Provider("std", scheme="standard", secret=WHSEC)])  # async by default
        r.on("user.created", lambda e: None)
        return r

    good = environ({**std_headers(BODY, "msg_p"), "Hookverify-Sync": "true"})
    dup = environ(std_headers(BODY, "msg_q"))
    dup["HTTP_WEBHOOK-ID"] = "msg_q"
    for env, status in [(good, 200), (dup, 401), (environ({}), 401)]:
        fast, ref = receiver(), receiver()
        got = fast.handle("/hooks", BODY, EnvironHeaders(env))
        assert got == ref.handle("/hooks", BODY, list(EnvironHeaders(env).items()))
        assert got.status == status, got


@pytest.mark.parametrize("value", [None, "", "12", "0012", " 12", "12 ", "-1", "+5", "1_0", "\u0661\u0662", "abc"])
@pytest.mark.parametrize("chunked", [False, True])
def test_content_length_matches_werkzeug(value, chunked):
    app = flask.Flask(__name__)
    extra = {} if value is None else {"CONTENT_LENGTH": value}
    if chunked:
        extra["HTTP_TRANSFER_ENCODING"] = "chunked"
    with app.test_request_context("/hooks", method="POST", environ_overrides=extra):
        req = flask.request._get_current_object()
        if value is None:
            req.environ.pop("CONTENT_LENGTH", None)
        fast = _content_length(req)
        req.__dict__.pop("content_length", None)
        assert fast == req.content_length


def test_to_response_matches_flask_response():
    for decision in [
        hv.Decision(200, [("Content-Type", "application/json")], '{"id":"m","ok":true}'),
        hv.Decision(503, [("Content-Type", "application/json"), ("Retry-After", "5")], '{"error":{}}'),
        hv.Decision(202, [], "{}"),
    ]:
        ours = to_response(decision)
        ref = flask.Response(decision.body, status=decision.status, headers=decision.headers)
        assert (ours.status, ours.headers.to_wsgi_list(), ours.get_data()) == (
            ref.status,
            ref.headers.to_wsgi_list(),
            ref.get_data(),
        )


def test_the_environ_is_read_without_iterating_the_headers(monkeypatch):
    """The point of the fast path: werkzeug's per-request iteration (a Python generator building every
    header name) is not run for an ordinary environ; an unusual one still goes through it."""
    env = environ(std_headers(BODY, "msg_fast"))
    calls = []
    original = EnvironHeaders.__iter__

    def counting(self):
        calls.append(1)
        return original(self)

    monkeypatch.setattr(EnvironHeaders, "__iter__", counting)
    assert STD.verify(BODY, EnvironHeaders(env)).id == "msg_fast" and calls == []
    env["HTTP_WEBHOOK_ID"] = b"msg_fast"  # a bytes value: werkzeug's iteration decides
    assert STD.verify(BODY, EnvironHeaders(env)).id == "msg_fast" and calls == [1]
