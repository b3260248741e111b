"""Panics never cross into Python: every native entry point that reaches the core runs under one
catch_unwind guard that turns a panic into HookverifyError(code="internal_error").

The fault switch (`_native._panic_next_call_for_tests`) only works when HOOKVERIFY_TEST_PANIC=1 is
set at import, so these runs happen in a child interpreter; it must survive each panic and the
next call must work.
"""

import os
import subprocess
import sys
import textwrap

from conftest import WHSEC, envelope, std_headers

import hookverify as hv

SCRIPT = textwrap.dedent(
    r"""
    import os, sys
    import hookverify as hv
    from hookverify import _native
    sys.path.insert(0, os.environ["TESTS_DIR"])
    from conftest import WHSEC, envelope, std_headers

    NOW = 1_700_000_000
    SMALL = envelope()
    BIG = envelope(data={"pad": "x" * (128 * 1024)})  # above the 64 KiB mark: hashed without the GIL
    verifier = hv.Verifier(scheme="standard", secret=WHSEC)
    ids = iter(range(10**6))

    def receiver(store):
        r = hv.Receiver(scheme="standard", secret=WHSEC, store=store, mode="sync")
        r.on("*", lambda event: None)
        return r

    def begin(r, body):
        return r.begin("/hooks", body, std_headers(body, f"msg_{next(ids)}", ts=NOW), now=NOW)

    def run_delivery(r, body):
        step = begin(r, body)
        assert isinstance(step, hv.Delivery), step
        r.accepted(step)
        return r.finish(step, True)

    def began(r):
        step = begin(r, SMALL)
        assert isinstance(step, hv.Delivery), step
        return step

    router = hv.Router()
    router.on("user.*", print)
    mem = receiver(hv.MemoryStore())
    stores = [mem]
    if os.environ.get("REDIS_URL"):
        stores.append(receiver(hv.RedisStore(os.environ["REDIS_URL"], prefix=f"panic{os.getpid()}:")))

    # name -> (where the fault fires, the call)
    calls = {
        "Verifier()": ("entry", lambda: hv.Verifier(scheme="github", secret="k")),
        "verify": ("entry", lambda: verifier.verify(SMALL, std_headers(SMALL, "m", ts=NOW), now=NOW)),
        "verify big": ("detached", lambda: verifier.verify(BIG, std_headers(BIG, "m", ts=NOW), now=NOW)),
        "verify_signature": ("entry", lambda: verifier.verify_signature(SMALL, std_headers(SMALL, "m", ts=NOW), now=NOW)),
        "verify_signature big": ("detached", lambda: verifier.verify_signature(BIG, std_headers(BIG, "m", ts=NOW), now=NOW)),
        "sign": ("entry", lambda: hv.sign(scheme="github", secret="k", body=b"x")),
        "diagnose": ("entry", lambda: hv.diagnose(SMALL, std_headers(SMALL, "m", ts=NOW), secrets=[WHSEC], now=NOW)),
        "diagnose big": ("detached", lambda: hv.diagnose(BIG, std_headers(BIG, "m", ts=NOW), secrets=[WHSEC], now=NOW)),
        "MemoryStore()": ("entry", lambda: hv.MemoryStore(10)),
        "RedisStore()": ("entry", lambda: hv.RedisStore("redis://127.0.0.1:1/0")),
        "Receiver() (Pipeline)": ("entry", lambda: receiver(hv.MemoryStore())),
        "Router.matches (type_matches)": ("entry", lambda: router.matches("user.created")),
    }
    for i, r in enumerate(stores):
        calls[f"begin store{i}"] = ("entry", lambda r=r: run_delivery(r, SMALL))
        calls[f"begin big store{i}"] = ("detached", lambda r=r: run_delivery(r, BIG))
    # accepted and finish: the delivery is made first, then the switch is armed for them alone.
    staged = {
        "accepted": ("entry", lambda r, d: r.accepted(d)),
        "finish": ("entry", lambda r, d: r.finish(d, True)),
    }
    if len(stores) > 1:
        staged["finish redis"] = ("detached", lambda r, d: r.finish(d, True))

    def expect_internal_error(name, where, call):
        assert _native._panic_next_call_for_tests(where), "switch not enabled"
        try:
            call()
        except hv.HookverifyError as e:
            assert e.code == "internal_error", (name, e.code, e)
            assert "panic was caught" in e.message, e.message
        else:
            raise AssertionError(f"{name}: the armed panic did not fire (not guarded?)")

    for name, (where, call) in calls.items():
        expect_internal_error(name, where, call)
        call()  # the next call works
    for name, (where, call) in staged.items():
        r = stores[-1] if "redis" in name else mem
        d = began(r)
        expect_internal_error(name, where, lambda: call(r, d))
        if name.startswith("finish"):
            r.finish(d, True)  # the claim is still held: finishing it now works
        else:
            r.accepted(d)
    # The plain private panic, still guarded.
    for _ in range(3):
        try:
            _native._panic_for_tests()
        except hv.HookverifyError as e:
            assert e.code == "internal_error"
    assert hv.Verifier(scheme="github", secret="k").scheme == "github"
    print("survived", len(calls) + len(staged))
    """
)


def _run(env_extra):
    env = {
        **os.environ,
        "HOOKVERIFY_TEST_PANIC": "1",
        "TESTS_DIR": os.path.dirname(__file__),
        "RUST_BACKTRACE": "0",
        **env_extra,
    }
    return subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120)


def test_every_entry_point_turns_a_panic_into_internal_error(redis_server):
    run = _run({"REDIS_URL": redis_server.url})
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == "survived 19"
    # Rust's panic hook reports each panic on stderr; none escaped as a PanicException or abort.
    assert "PanicException" not in run.stderr and "Fatal Python error" not in run.stderr


def test_fault_switch_is_inert_without_the_env_var():
    assert os.environ.get("HOOKVERIFY_TEST_PANIC") != "1"
    assert hv._native._panic_next_call_for_tests("entry") is False
    assert hv._native._panic_next_call_for_tests("detached") is False
    body = envelope()
    assert hv.Verifier(scheme="standard", secret=WHSEC).verify(body, std_headers(body, "m", ts=1), now=1).id == "m"


def test_private_panic_is_internal_error_and_the_next_call_works():
    for _ in range(3):
        try:
            hv._native._panic_for_tests()
        except hv.HookverifyError as e:
            assert (e.code, isinstance(e, ValueError)) == ("internal_error", True)
    body = envelope()
    assert (
        hv.Verifier(scheme="standard", secret=WHSEC)
        .verify_signature(body, std_headers(body, "m", ts=1), now=1)
        .key_index
        == 0
    )
