"""The shared receiver decision table (tests/vectors/receiver-decisions.json), as the Rust core and
Node (native and wasm) run it: every answer must be these exact bytes. The table's config is the
core's ReceiverConfig; here it becomes the Python keyword options users write."""

import json
import pathlib

import pytest

import hookverify as hv

TABLE = json.loads((pathlib.Path(__file__).resolve().parents[2] / "tests/vectors/receiver-decisions.json").read_text())
# Receiver keywords that are the config's keys under the same name.
KEYWORDS = ("mode", "unhandled_status", "sync_header", "base_path", "namespace")
VERIFIER = {"scheme": "scheme", "secret": "secret", "secrets": "secrets", "max_body_bytes": "max_body_bytes"}


def _match(rule):
    if rule is None or rule == "signature":
        return None
    if rule in ("always", "*"):
        return "*"
    if isinstance(rule, dict):
        return (rule["header"], rule["equals"]) if "equals" in rule else rule["header"]
    return tuple(rule)


def _receiver(config, handlers):
    cap = config.get("max_body_bytes")
    providers = []
    for p in config["providers"]:
        options = {VERIFIER[k]: v for k, v in p.items() if k in VERIFIER}
        if cap is not None:
            options.setdefault("max_body_bytes", cap)
        providers.append(hv.Provider(p.get("name"), match=_match(p.get("match")), **options))
    extra = {k: config[k] for k in KEYWORDS if k in config}
    unknown = set(config) - set(KEYWORDS) - {"providers", "routes", "max_body_bytes"}
    r = hv.Receiver(providers, **extra, **{k: config[k] for k in unknown})
    for i, route in enumerate(config.get("routes", [])):
        r.on(route["pattern"], handlers(i), provider=route.get("provider"), path=route.get("path"))
    return r


def _same(what, d, expect):
    assert (d.status, [list(h) for h in d.headers], d.body) == (
        expect["status"],
        expect["headers"],
        expect["body"],
    ), what


@pytest.mark.parametrize("case", TABLE["cases"], ids=[c["name"] for c in TABLE["cases"]])
def test_decision_table(case):
    state = {"ran": [], "ok": True}

    def handler(i):
        def run(event):
            state["ran"].append(i)
            if not state["ok"]:
                raise RuntimeError("handler failed on purpose")

        return run

    r = _receiver(case["config"], handler)
    for i, req in enumerate(case["requests"]):
        what = f"{case['name']} [request {i}]"
        if "declared_length" in req:
            _same(what, r.too_large(req["declared_length"]), req["expect"])
            continue
        state["ran"], state["ok"] = [], req["handlers_ok"]
        step = r.begin(req["path"], req["body"], req["headers"], now=req["now"])
        if isinstance(step, hv.Decision):
            assert "expect_handlers" not in req, what
            _same(what, step, req["expect"])
            continue
        ok = r.run(step)
        assert state["ran"] == req["expect_handlers"], what
        answer = r.finish(step, ok) if step.sync else r.accepted(step)
        if not step.sync:
            r.finish(step, ok)
        _same(what, answer, req["expect"])


@pytest.mark.parametrize("case", TABLE["malformed"], ids=[c["name"] for c in TABLE["malformed"]])
def test_malformed_configs_are_refused_with_their_code(case):
    with pytest.raises(hv.HookverifyError) as err:
        _receiver(case["config"], lambda i: print)
    assert err.value.code == case["error"]


def test_error_codes_have_the_receiver_codes():
    assert {"handler_failed", "not_found"} <= set(hv.ERROR_CODES)


def test_package_readme_ack_example_runs():
    """The ack-per-mode example of packages/python/README.md runs as written."""
    readme = (pathlib.Path(__file__).resolve().parents[2] / "packages/python/README.md").read_text(encoding="utf-8")
    section = readme.split("### Which handlers run, and the ack per mode", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```python\n")[1:]
    assert len(blocks) == 1
    exec(compile(blocks[0].split("```", 1)[0], "README#ack", "exec"), {"__name__": "readme"})


def test_store_defaults_are_the_cores():
    """The store defaults exist once, in the core; the package reads them from there."""
    assert hv.MemoryStore().capacity == hv._native.DEFAULT_CAPACITY == 100_000
    assert hv.RedisStore().prefix == hv._native.DEFAULT_REDIS_PREFIX == "hookverify:"
    assert hv._native.DEFAULT_REDIS_TIMEOUT == 2.0
    source = (pathlib.Path(hv.__file__).parent / "_receiver.py").read_text()
    assert "100_000" not in source and '"hookverify:"' not in source and "2.0" not in source


def test_custom_scheme_provider_is_named_by_the_spec():
    """One rule in every language: a provider without a name takes its scheme's name (the spec's
    ``name`` for a custom spec; Python's shorthand used to call it "default")."""
    import hashlib
    import hmac

    scheme = {"name": "reflex", "signature_header": "X-Reflex-Signature"}
    seen = []
    r = hv.Receiver(scheme=scheme, secret="reflex-secret", mode="sync")
    r.on("*", lambda event, delivery: seen.append(delivery.provider))
    assert r.provider_names == ["reflex"]
    body = b'{"id":"evt_1","type":"deployment.created"}'
    mac = hmac.new(b"reflex-secret", body, hashlib.sha256).hexdigest()
    assert r.handle("/", body, {"X-Reflex-Signature": mac}).status == 200
    assert seen == ["reflex"]
    assert hv.Receiver([hv.Provider(scheme=scheme, secret="s")]).provider_names == ["reflex"]
