"""Dedup stores written in Python (issue 20, part 4): ``store=`` takes any object with ``claim``,
``complete`` and ``release`` (``hookverify.CustomStore``; ``async def`` methods:
``AsyncCustomStore``). The stores here are what a user writes over redis-py against a real
redis-server; deliveries are signed with Python's hmac (conftest)."""

import asyncio
import json
import logging
import re
import threading
import time
import typing as t
import uuid

import pytest
import redis
import redis.asyncio
from conftest import WHSEC, assert_mypy_strict, envelope, std_headers

import hookverify as hv

# One atomic script per operation, as a user would write them. A claim's fencing token comes from a
# per-key counter, so it keeps increasing after a claim or a done marker expired.
CLAIM = """
local v = redis.call('GET', KEYS[1])
if v then
  if string.sub(v, 1, 5) == 'done:' then return {'done', 0} end
  return {'busy', redis.call('PTTL', KEYS[1])}
end
local token = redis.call('INCR', KEYS[1] .. ':seq')
redis.call('SET', KEYS[1], 'claim:' .. token, 'PX', ARGV[1])
return {'acquired', token}"""
COMPLETE = """
if redis.call('GET', KEYS[1]) ~= 'claim:' .. ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'done:' .. ARGV[1], 'PX', ARGV[2])
return 1"""
RELEASE = """
if redis.call('GET', KEYS[1]) == 'claim:' .. ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0"""


def _claim_result(what: str, n: int) -> hv.ClaimResult:
    if what == "done":
        return {"done": True}
    if what == "busy":
        return {"inProgress": max(0, n)}
    return {"acquired": n}


class RedisPyStore:
    """A blocking store over redis-py (Flask, Django, ``Receiver.handle``); logs its calls."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, decode_responses=True)
        self.prefix = f"py-{uuid.uuid4().hex}:"
        self.calls: t.List[t.Tuple[t.Any, ...]] = []
        self._claim, self._complete, self._release = (
            self.client.register_script(s) for s in (CLAIM, COMPLETE, RELEASE)
        )

    def claim(self, key: str, lease_ms: int) -> hv.ClaimResult:
        self.calls.append(("claim", key, lease_ms))
        what, n = self._claim(keys=[self.prefix + key], args=[lease_ms])
        return _claim_result(what, n)

    def complete(self, key: str, token: int, retention_ms: int) -> hv.Completion:
        self.calls.append(("complete", key, token, retention_ms))
        return "recorded" if self._complete(keys=[self.prefix + key], args=[token, retention_ms]) == 1 else "lease_lost"

    def release(self, key: str, token: int) -> None:
        self.calls.append(("release", key, token))
        self._release(keys=[self.prefix + key], args=[token])

    def value(self, key: str) -> t.Optional[str]:
        return t.cast(t.Optional[str], self.client.get(self.prefix + key))


class AsyncRedisPyStore:
    """The same store over ``redis.asyncio`` (FastAPI, Starlette, ``begin_async``). The client is
    made on first use, on the event loop that uses it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"pya-{uuid.uuid4().hex}:"
        self.calls: t.List[t.Tuple[t.Any, ...]] = []
        self.client: t.Any = None

    async def _eval(self, script: str, key: str, *args: t.Any) -> t.Any:
        if self.client is None:
            self.client = redis.asyncio.Redis.from_url(self.url, decode_responses=True)
        return await self.client.eval(script, 1, self.prefix + key, *args)

    async def claim(self, key: str, lease_ms: int) -> hv.ClaimResult:
        self.calls.append(("claim", key, lease_ms))
        what, n = await self._eval(CLAIM, key, lease_ms)
        return _claim_result(what, n)

    async def complete(self, key: str, token: int, retention_ms: int) -> hv.Completion:
        self.calls.append(("complete", key, token, retention_ms))
        return "recorded" if await self._eval(COMPLETE, key, token, retention_ms) == 1 else "lease_lost"

    async def release(self, key: str, token: int) -> None:
        self.calls.append(("release", key, token))
        await self._eval(RELEASE, key, token)


def delivery(msg_id: str, event_type: str = "user.created") -> t.Tuple[bytes, t.Dict[str, str]]:
    body = envelope(event_type)
    return body, std_headers(body, msg_id)


def header(decision: hv.Decision, name: str) -> t.Optional[str]:
    return dict(decision.headers).get(name)


# ---------------------------------------------------------------- 100 concurrent copies, one run


def test_sync_store_100_threads_one_handler_run(redis_server: t.Any) -> None:
    store = RedisPyStore(redis_server.url)
    runs, tokens = [], []
    r = hv.Receiver(scheme="standard", secret=WHSEC, mode="sync", store=store)

    @r.on("user.created")
    def created(event: hv.Event, delivery: hv.Delivery) -> None:
        runs.append(event.id)
        tokens.append(delivery.token)
        time.sleep(0.05)  # hold the claim while the copies arrive

    body, headers = delivery("msg_race_threads")
    barrier, statuses = threading.Barrier(100), []

    def send() -> None:
        barrier.wait()
        statuses.append(r.handle("/hooks", body, headers).status)

    threads = [threading.Thread(target=send) for _ in range(100)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert len(statuses) == 100
    assert runs == ["msg_race_threads"], "one handler run"
    assert set(statuses) <= {200, 409} and statuses.count(409) >= 1, statuses
    assert store.value("|standard|msg_race_threads") == f"done:{tokens[0]}", "the done marker is in Redis"
    again = r.handle("/hooks", body, headers)
    assert (again.status, again.json()["duplicate"]) == (200, True)
    assert len(runs) == 1


def test_async_store_100_gathered_copies_one_handler_run(redis_server: t.Any) -> None:
    store = AsyncRedisPyStore(redis_server.url)
    runs: t.List[str] = []
    r = hv.Receiver(scheme="standard", secret=WHSEC, mode="sync", store=store)

    @r.on("user.created")
    async def created(event: hv.Event) -> None:
        runs.append(event.id)
        await asyncio.sleep(0.05)

    body, headers = delivery("msg_race_async")

    async def one() -> hv.Decision:
        step = await r.begin_async("/hooks", body, headers)
        if isinstance(step, hv.Decision):
            return step
        return t.cast(hv.Decision, await r.complete_async(step))

    async def main() -> t.List[hv.Decision]:
        answers = await asyncio.gather(*(one() for _ in range(100)))
        await store.client.aclose()
        return answers

    statuses = [d.status for d in asyncio.run(main())]
    assert runs == ["msg_race_async"], "one handler run"
    assert set(statuses) <= {200, 409} and statuses.count(409) >= 1, statuses
    claims = [c for c in store.calls if c[0] == "claim"]
    assert len(claims) == 100 and [c[0] for c in store.calls].count("complete") == 1


# ---------------------------------------------------------------- lease and retention, like the core's stores


@pytest.mark.parametrize("kind", ["core MemoryStore", "core RedisStore", "Python store over redis-py"])
def test_lease_expiry_and_retention_behave_like_the_cores_stores(redis_server: t.Any, kind: str) -> None:
    if kind == "core MemoryStore":
        store: hv.AnyStore = hv.MemoryStore()
    elif kind == "core RedisStore":
        store = hv.RedisStore(redis_server.url, prefix=f"core-{uuid.uuid4().hex}:")
    else:
        store = RedisPyStore(redis_server.url)
    r = hv.Receiver(scheme="standard", secret=WHSEC, mode="sync", store=store, lease=0.4, retention=0.8)
    r.on("*", lambda event: None)
    body, headers = delivery("msg_lease")

    first = r.begin("/hooks", body, headers)
    assert isinstance(first, hv.Delivery)
    busy = r.begin("/hooks", body, headers)
    assert isinstance(busy, hv.Decision) and busy.status == 409 and header(busy, "Retry-After") == "1"
    time.sleep(0.6)  # the first claim's lease runs out
    second = r.begin("/hooks", body, headers)
    assert isinstance(second, hv.Delivery) and second.token > first.token, "a fresh claim, a higher token"
    late = r.finish(first, True)
    assert (late.status, header(late, "Hookverify-Warning")) == (200, "lease-lost"), "the stale token records nothing"
    done = r.finish(second, True)
    assert (done.status, header(done, "Hookverify-Warning")) == (200, None)
    dup = r.begin("/hooks", body, headers)
    assert isinstance(dup, hv.Decision) and (dup.status, dup.json()["duplicate"]) == (200, True)
    time.sleep(1.0)  # the done marker's retention runs out
    third = r.begin("/hooks", body, headers)
    assert isinstance(third, hv.Delivery) and third.token > second.token
    assert r.finish(third, False).status == 500
    fourth = r.begin("/hooks", body, headers)
    assert isinstance(fourth, hv.Delivery), "a failed run released the claim: the retry runs"
    assert r.finish(fourth, True).status == 200


def test_the_store_gets_the_key_lease_and_retention(redis_server: t.Any) -> None:
    store = RedisPyStore(redis_server.url)
    r = hv.Receiver(scheme="standard", secret=WHSEC, mode="sync", store=store, lease=30, retention=3600, namespace="n")
    fail = [True]

    @r.on("*")
    def flaky(event: hv.Event) -> None:
        if fail[0]:
            raise RuntimeError("db down")

    body, headers = delivery("msg_calls")
    assert r.handle("/hooks", body, headers).status == 500
    fail[0] = False
    assert r.handle("/hooks", body, headers).status == 200
    assert store.calls == [
        ("claim", "n|standard|msg_calls", 30_000),
        ("release", "n|standard|msg_calls", 1),
        ("claim", "n|standard|msg_calls", 30_000),
        ("complete", "n|standard|msg_calls", 2, 3_600_000),
    ]


# ---------------------------------------------------------------- a broken store: 503 before any handler


class BrokenStore:
    """A store whose answers the test sets; ``claim`` may raise."""

    def __init__(self) -> None:
        self.claim_answer: t.Any = None
        self.complete_answer: t.Any = "recorded"

    def _answer(self, answer: t.Any) -> t.Any:
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def claim(self, key: str, lease_ms: int) -> t.Any:
        return self._answer(self.claim_answer)

    def complete(self, key: str, token: int, retention_ms: int) -> t.Any:
        return self._answer(self.complete_answer)

    def release(self, key: str, token: int) -> None:
        pass


class AsyncBrokenStore(BrokenStore):
    async def claim(self, key: str, lease_ms: int) -> t.Any:  # type: ignore[override]
        await asyncio.sleep(0)
        return self._answer(self.claim_answer)

    async def complete(self, key: str, token: int, retention_ms: int) -> t.Any:  # type: ignore[override]
        return self._answer(self.complete_answer)

    async def release(self, key: str, token: int) -> None:  # type: ignore[override]
        pass


SECRET_TEXT = "redis://:hunter2@db.internal"
BAD_CLAIMS: t.List[t.Any] = [
    ConnectionError(f"cannot reach {SECRET_TEXT}"),
    ValueError("two\nlines: a forged log line"),
    None,
    {},
    {"acquired": -1},
    {"acquired": True},
    {"acquired": 1.5},
    {"acquired": "x"},
    {"acquired": 2**64},
    {"acquired": 1, "done": True},
    {"done": False},
    {"maybe": True},
    {"in_progress": 100},
    "acquired",
    object(),
    float("nan"),
]


@pytest.mark.parametrize("store_class", [BrokenStore, AsyncBrokenStore])
def test_a_store_that_raises_or_answers_garbage_is_503_before_any_handler(
    store_class: t.Any, caplog: pytest.LogCaptureFixture
) -> None:
    store = store_class()
    runs: t.List[str] = []
    r = hv.Receiver(scheme="standard", secret=WHSEC, mode="sync", store=store)
    r.on("*", lambda event: runs.append(event.id))
    caplog.set_level(logging.WARNING, logger="hookverify")
    for i, bad in enumerate(BAD_CLAIMS):
        store.claim_answer = bad
        body, headers = delivery(f"msg_bad_{i}")
        decision = r.handle("/hooks", body, headers)
        assert decision.status == 503, (bad, decision)
        assert decision.json()["error"]["code"] == "store_unavailable"
        assert header(decision, "Retry-After"), bad
        assert "hunter2" not in decision.body and "hunter2" not in str(decision.headers)
        step = asyncio.run(r.begin_async("/hooks", body, headers))
        assert isinstance(step, hv.Decision) and step.status == 503 and "hunter2" not in step.body
    assert runs == [], "nothing runs on a claim that was not understood"
    assert any("hunter2" in rec.getMessage() and "ConnectionError" in rec.getMessage() for rec in caplog.records), (
        "the store's error is in the operator's log line"
    )
    messages = [rec.getMessage() for rec in caplog.records]
    assert any("two\\x0alines" in m for m in messages) and not any("\nlines" in m for m in messages), "escaped"
    # A complete that fails or answers garbage: the handler ran, so 200 with a warning.
    store.claim_answer = {"acquired": 7}
    for i, bad in enumerate([RuntimeError("timeout"), "yes", None, True]):
        store.complete_answer = bad
        body, headers = delivery(f"msg_complete_{i}")
        decision = r.handle("/hooks", body, headers)
        assert (decision.status, header(decision, "Hookverify-Warning")) == (200, "completion-not-recorded"), bad
    store.complete_answer = "lease_lost"
    decision = r.handle("/hooks", *delivery("msg_lost"))
    assert (decision.status, header(decision, "Hookverify-Warning")) == (200, "lease-lost")
    assert len(runs) == 5


def test_an_object_that_is_no_store_is_refused() -> None:
    class Half:
        def claim(self, key: str, lease_ms: int) -> hv.ClaimResult:
            return {"done": True}

    with pytest.raises(hv.HookverifyError) as e:
        hv.Receiver(scheme="standard", secret=WHSEC, store=Half())  # type: ignore[arg-type]
    assert e.value.code == "invalid_argument" and "claim, complete and release" in str(e.value)


# ---------------------------------------------------------------- async (202) mode


def test_async_mode_202_then_the_claim_is_taken_again_and_completed(redis_server: t.Any) -> None:
    store = RedisPyStore(redis_server.url)
    tokens: t.List[int] = []
    r = hv.Receiver(scheme="standard", secret=WHSEC, store=store)
    r.on("*", lambda event, delivery: tokens.append(delivery.token))
    decision = r.handle("/hooks", *delivery("msg_202"))
    assert decision.status == 202
    assert r.wait(10)
    key = "|standard|msg_202"
    assert store.calls == [
        ("claim", key, 60_000),
        ("release", key, 1),  # the worker starts it: a fresh lease and a higher token
        ("claim", key, 60_000),
        ("complete", key, 2, 4 * 24 * 3600 * 1000),
    ]
    assert tokens == [2] and store.value(key) == "done:2"


def test_async_mode_a_copy_completed_while_queued_is_not_run_again(redis_server: t.Any) -> None:
    store = RedisPyStore(redis_server.url)
    runs: t.List[str] = []
    r = hv.Receiver(scheme="standard", secret=WHSEC, store=store)
    r.on("*", lambda event: runs.append(event.id))
    body, headers = delivery("msg_queued")
    step = r.begin("/hooks", body, headers)
    assert isinstance(step, hv.Delivery)
    store.client.set(store.prefix + step.key, "done:9")  # another copy completed it meanwhile
    assert r.defer(step).result(10) is None
    assert runs == []


# ---------------------------------------------------------------- Flask and FastAPI through a custom store


def test_flask_through_a_custom_store(redis_server: t.Any) -> None:
    from flask import Flask

    from hookverify.flask import webhook

    store = RedisPyStore(redis_server.url)
    runs: t.List[str] = []
    app = Flask(__name__)

    @app.post("/hooks")
    @webhook(scheme="standard", secret=WHSEC, mode="sync", store=store)
    def hooks(event: hv.Event) -> None:
        runs.append(event.id)

    client = app.test_client()
    body, headers = delivery("msg_flask")
    first = client.post("/hooks", data=body, headers=headers)
    assert first.status_code == 200 and first.get_json() == {"ok": True, "id": "msg_flask"}
    again = client.post("/hooks", data=body, headers=headers)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert runs == ["msg_flask"] and store.value("|standard|msg_flask") == "done:1"
    broken = BrokenStore()
    broken.claim_answer = RuntimeError(SECRET_TEXT)
    app2 = Flask(__name__)
    app2.add_url_rule(
        "/hooks",
        view_func=webhook(scheme="standard", secret=WHSEC, mode="sync", store=broken)(lambda event: runs.append("x")),
        methods=["POST"],
    )
    down = app2.test_client().post("/hooks", data=body, headers=headers)
    assert down.status_code == 503 and down.get_json()["error"]["code"] == "store_unavailable"
    assert "hunter2" not in down.get_data(as_text=True) and runs == ["msg_flask"]


@pytest.mark.parametrize("store_class", [AsyncRedisPyStore, RedisPyStore])
def test_fastapi_through_a_custom_store(redis_server: t.Any, store_class: t.Any) -> None:
    """Awaited (``async def`` methods) or run in a thread (plain ones)."""
    from fastapi import Depends, FastAPI
    from fastapi.testclient import TestClient

    from hookverify.fastapi import Webhook, install

    store = store_class(redis_server.url)
    runs: t.List[t.Tuple[str, str]] = []
    routed = Webhook(scheme="standard", secret=WHSEC, store=store)  # async mode: 202, then the handler

    @routed.on("user.created")
    async def created(event: hv.Event) -> None:
        runs.append(("routed", event.id))

    dependency = Webhook(scheme="standard", secret=WHSEC, store=store, namespace="dep")
    app = FastAPI()
    install(app)
    app.add_api_route("/routed", routed.endpoint, methods=["POST"])

    @app.post("/dep")
    async def dep(event: hv.Event = Depends(dependency)) -> t.Dict[str, str]:
        runs.append(("dep", event.id))
        return {"got": event.id}

    body, headers = delivery("msg_fastapi")
    with TestClient(app) as client:
        accepted = client.post("/routed", content=body, headers=headers)  # returns after the background task
        assert accepted.status_code == 202 and accepted.json()["accepted"] is True
        dup = client.post("/routed", content=body, headers=headers)
        assert dup.status_code == 200 and dup.json()["duplicate"] is True
        assert client.post("/dep", content=body, headers=headers).json() == {"got": "msg_fastapi"}
        assert client.post("/dep", content=body, headers=headers).json()["duplicate"] is True
    assert runs == [("routed", "msg_fastapi"), ("dep", "msg_fastapi")]
    assert [c[0] for c in store.calls] == [
        "claim",
        "release",
        "claim",
        "complete",
        "claim",
        "claim",
        "complete",
        "claim",
    ]


def test_django_through_a_custom_store(redis_server: t.Any) -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_site.settings")
    django.setup()
    from django.test import RequestFactory

    from hookverify.django import webhook

    store = RedisPyStore(redis_server.url)
    runs: t.List[str] = []

    @webhook(scheme="standard", secret=WHSEC, mode="sync", store=store)
    def hooks(event: hv.Event) -> None:
        runs.append(event.id)

    body, headers = delivery("msg_django")
    factory = RequestFactory()
    answers = [hooks(factory.post("/hooks", body, content_type="application/json", headers=headers)) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert json.loads(answers[1].content)["duplicate"] is True
    assert runs == ["msg_django"] and store.value("|standard|msg_django") == "done:1"


# ---------------------------------------------------------------- types


def test_the_store_protocols_check_under_mypy_strict(tmp_path: t.Any) -> None:
    assert_mypy_strict(
        tmp_path,
        """
import hookverify as hv


class Sync:
    def claim(self, key: str, lease_ms: int) -> hv.ClaimResult:
        return {"acquired": 1}

    def complete(self, key: str, token: int, retention_ms: int) -> hv.Completion:
        return "recorded"

    def release(self, key: str, token: int) -> None:
        pass


class Async:
    async def claim(self, key: str, lease_ms: int) -> hv.ClaimResult:
        return {"inProgress": 100}

    async def complete(self, key: str, token: int, retention_ms: int) -> hv.Completion:
        return "lease_lost"

    async def release(self, key: str, token: int) -> None:
        pass


a: hv.CustomStore = Sync()
b: hv.AsyncCustomStore = Async()
hv.Receiver(scheme="standard", secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", store=Sync())
hv.Receiver(scheme="standard", secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", store=Async())
""",
    )
    # And a store whose claim answers another shape is refused by the checker.
    with pytest.raises(AssertionError, match="incompatible"):
        assert_mypy_strict(
            tmp_path,
            """
import hookverify as hv


class Wrong:
    def claim(self, key: str, lease_ms: int) -> str:
        return "acquired"

    def complete(self, key: str, token: int, retention_ms: int) -> hv.Completion:
        return "recorded"

    def release(self, key: str, token: int) -> None:
        pass


hv.Receiver(scheme="standard", secret="x", store=Wrong())
""",
        )


def test_the_package_readme_store_block_runs() -> None:
    from conftest import ROOT

    readme = (ROOT / "packages" / "python" / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Your own store", 1)[1].split("\n### ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    module: t.Dict[str, t.Any] = {"__name__": "readme_store"}
    exec(compile(block, "packages/python/README.md#your-own-store", "exec"), module)
    assert module["runs"] == ["msg_1"]
