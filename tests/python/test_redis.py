"""RedisStore against a real redis-server: one handler run per event across threads and processes."""

import multiprocessing
import queue
import uuid
from collections import Counter

from conftest import WHSEC, envelope, std_headers
from redis_worker import NOW, deliver_rounds

import hookverify as hv

ROUNDS = 200


def test_100_threads_one_id_runs_the_handler_once(redis_server):
    out: "queue.Queue" = queue.Queue()
    deliver_rounds(redis_server.url, f"threads-{uuid.uuid4().hex}:", ROUNDS, 100, None, out)
    results = [out.get_nowait() for _ in range(ROUNDS)]
    for i, runs, statuses in results:
        assert runs == 1, f"round {i}: the handler ran {runs} times"
        assert set(statuses) <= {200, 409} and statuses.count(200) >= 1, (i, Counter(statuses))


def test_100_deliveries_across_two_processes_run_the_handler_once(redis_server):
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    prefix = f"procs-{uuid.uuid4().hex}:"
    procs = [
        ctx.Process(target=deliver_rounds, args=(redis_server.url, prefix, ROUNDS, 50, barrier, out)) for _ in range(2)
    ]
    for p in procs:
        p.start()
    try:
        runs = Counter()
        for _ in range(2 * ROUNDS):
            i, n, statuses = out.get(timeout=120)
            assert set(statuses) <= {200, 409}, Counter(statuses)
            runs[i] += n
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.terminate()
    assert all(p.exitcode == 0 for p in procs)
    assert [runs[i] for i in range(ROUNDS)] == [1] * ROUNDS


def test_failure_releases_and_done_markers_are_shared(redis_server):
    store = hv.RedisStore(redis_server.url, prefix=f"rel-{uuid.uuid4().hex}:")
    calls = []

    def flaky(event):
        calls.append(event.id)
        if len(calls) == 1:
            raise RuntimeError("first attempt fails")

    a = hv.Receiver(scheme="standard", secret=WHSEC, store=store, mode="sync")
    b = hv.Receiver(scheme="standard", secret=WHSEC, store=store, mode="sync")
    a.on("*", flaky)
    b.on("*", flaky)
    body = envelope()
    h = std_headers(body, "evt_rel", NOW)
    assert a.handle("/hooks", body, h, now=NOW).status == 500
    d = b.begin("/hooks", body, h, now=NOW)
    assert isinstance(d, hv.Delivery) and d.token >= 2, "the released key is claimed again with a newer token"
    assert a.begin("/hooks", body, h, now=NOW).status == 409
    assert b.complete(d).status == 200
    assert a.handle("/hooks", body, h, now=NOW).json()["duplicate"] is True
    assert calls == ["evt_rel", "evt_rel"]
