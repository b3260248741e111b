"""Secrets never appear in reprs, errors, reports or logs: diagnose reports, and the pipeline objects
(stores whose URL carries a password, providers, receivers, deliveries, decisions).
test_api.py covers Verifier/Event/Verified and verification errors; test_diagnose.py checks every
vector report for 6-character pieces of its secrets and expected MACs.
"""

import logging
import pickle
import shutil
import subprocess

import pytest
from conftest import WHSEC, envelope, free_port, std_headers, wait_for_port

import hookverify as hv

NOW = 1_700_000_000
PASSWORD = "Rds-pa55word-7c1e9b"
SECRETS = [
    WHSEC,
    "Qm7v-Zx3k-Lp9w-Tr2j",
    "sk_live_51HqLyjWDarjtT1zdp7dcXk",  # an API key given by mistake (secret_wrong_key)
    "  Jf8q-Wn4c-Hy6d\n",
    "whsec_%%Kd8z%%Vb3m%%",
    "whsec_TnA0eDlMcTJWejdLcjNXcw==",
]


def pieces(secret: str):
    s = secret.strip()
    return {s[i : i + 6] for i in range(len(s) - 5)}


def assert_clean(texts, secrets=SECRETS + [PASSWORD]) -> None:
    joined = "\n".join(texts)
    for secret in secrets:
        for piece in pieces(secret):
            assert piece not in joined, f"{piece!r} leaked:\n{joined}"


def report_texts(report):
    return (
        [report.to_json(), repr(report), str(report)]
        + [repr(c) for c in report.checks]
        + [repr(h) for h in report.hints]
    )


# ---------------------------------------------------------------- diagnose


@pytest.mark.parametrize("scheme", ["standard", "stripe", "github", "slack", "shopify", None])
def test_diagnose_reports_never_show_secrets(scheme):
    body = envelope()
    texts = []
    for headers in (
        std_headers(body, "msg_1", NOW),
        std_headers(body, "msg_1", NOW, key=b"other"),
        {"Stripe-Signature": f"t={NOW},v1=" + "ab" * 32},
        {"X-Hub-Signature-256": "sha256=" + "cd" * 32},
        {"X-Slack-Signature": "v0=" + "ef" * 32, "X-Slack-Request-Timestamp": str(NOW)},
        {},
    ):
        for secrets in (SECRETS, SECRETS[:1], SECRETS[2:3], SECRETS[3:4], SECRETS[4:]):
            try:
                report = hv.diagnose(body, headers, secrets=secrets, scheme=scheme, now=NOW)
            except hv.HookverifyError as e:  # only: no scheme detected is a report; nothing else raises here
                texts += [str(e), repr(e), repr(e.details)]
                continue
            texts += report_texts(report)
    assert_clean(texts)
    assert any("secret_wrong_key" in t for t in texts)


def test_diagnose_argument_errors_never_show_secrets():
    texts = []
    for secrets in (
        [b"Qm7v-Zx3k-Lp9w-Tr2j"],
        ["Qm7v-Zx3k-Lp9w-Tr2j", 5],
        "Qm7v-Zx3k-Lp9w-Tr2j",
        ["Qm7v-Zx3k-Lp9w-Tr2j\ud800"],
    ):
        with pytest.raises(hv.HookverifyError) as err:
            hv.diagnose(b"", {}, secrets=secrets, now=NOW)  # type: ignore[arg-type]
        texts += [str(err.value), repr(err.value), repr(err.value.details)]
    assert_clean(texts)


# ---------------------------------------------------------------- stores, providers, receivers, deliveries


def _pipeline_texts(receiver, store, headers, body):
    texts = [repr(store), str(store), repr(receiver), str(receiver), repr(receiver.providers), repr(vars(store))]
    texts += [repr(p.verifier) for p in receiver.providers] + [repr(vars(p)) for p in receiver.providers]
    texts.append(repr({k: v for k, v in vars(receiver).items() if k not in ("_lock",)}))
    step = receiver.begin("/hooks", body, headers, now=NOW)
    texts += [repr(step)]
    if isinstance(step, hv.Decision):
        texts += [step.body, repr(step.error)]
    else:
        texts += [repr(step.event), repr(step.handlers), step.key, repr(step.provider), repr(step)]
        done = receiver.complete(step)
        texts += [repr(done), done.body]
    return texts


def test_memory_receiver_objects_never_show_secrets():
    body = envelope()
    store = hv.MemoryStore()
    r = hv.Receiver([hv.Provider("std", scheme="standard", secrets=[SECRETS[5], WHSEC])], store=store, mode="sync")
    r.on("*", lambda e: None)
    texts = _pipeline_texts(r, store, std_headers(body, "msg_ok", NOW), body)
    texts += _pipeline_texts(r, store, std_headers(body, "msg_bad", NOW, key=b"wrong"), body)
    assert_clean(texts)


def test_unreachable_redis_with_a_password_never_shows_it():
    url = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"
    store = hv.RedisStore(url, timeout=0.5)
    assert repr(store) == "RedisStore(prefix='hookverify:')"
    r = hv.Receiver(scheme="standard", secret=WHSEC, store=store, mode="sync")
    r.on("*", lambda e: None)
    body = envelope()
    texts = _pipeline_texts(r, store, std_headers(body, "msg_r", NOW), body)
    assert any("store_unavailable" in t for t in texts)
    assert_clean(texts)


@pytest.mark.parametrize(
    "url",
    [
        f"redis://:{PASSWORD}@127.0.0.1:notaport/0",
        f"rediss+bogus://user:{PASSWORD}@host/0",
        f"{PASSWORD}",
        f"redis://user:{PASSWORD}@[::1/0",
    ],
)
def test_bad_redis_urls_never_echo_the_password(url):
    with pytest.raises(hv.HookverifyError) as err:
        hv.RedisStore(url)
    assert err.value.code == "invalid_argument"
    assert_clean([str(err.value), repr(err.value), repr(err.value.details)])


def test_stores_and_verifiers_do_not_pickle_their_secrets():
    for obj in (
        hv.Verifier(scheme="github", secret=SECRETS[1]),
        hv.RedisStore(f"redis://:{PASSWORD}@127.0.0.1:1/0")._native,
    ):
        with pytest.raises(Exception) as err:
            pickle.dumps(obj)
        assert_clean([str(err.value), repr(err.value)])


@pytest.fixture
def redis_with_password():
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server is not installed: run scripts/deps-apt.sh")
    port = free_port()
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--requirepass",
            PASSWORD,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def test_real_redis_with_a_password_right_and_wrong(redis_with_password, caplog):
    port = redis_with_password
    body = envelope()
    caplog.set_level(logging.DEBUG)
    texts = []
    good = hv.RedisStore(f"redis://:{PASSWORD}@127.0.0.1:{port}/0", timeout=2)
    r = hv.Receiver(scheme="standard", secrets=[WHSEC], store=good, mode="sync")

    def failing(event):
        raise RuntimeError(f"handler failed for {event.id}")

    r.on("user.created", failing)
    texts += _pipeline_texts(r, good, std_headers(body, "msg_pw", NOW), body)
    assert any('"handler_failed"' in t for t in texts), texts
    wrong = hv.RedisStore(f"redis://:wrong-{PASSWORD[::-1]}@127.0.0.1:{port}/0", timeout=2)
    r2 = hv.Receiver(scheme="standard", secrets=[WHSEC], store=wrong, mode="sync")
    r2.on("*", lambda e: None)
    step = r2.begin("/hooks", body, std_headers(body, "msg_pw2", NOW), now=NOW)
    assert step.status == 503 and step.error.code == "store_unavailable", step
    texts += [step.body, repr(step), repr(wrong), repr(r2)]
    texts += [rec.getMessage() for rec in caplog.records] + [caplog.text]
    assert caplog.records, "the failing handler is logged"
    assert_clean(texts, SECRETS + [PASSWORD, PASSWORD[::-1]])
