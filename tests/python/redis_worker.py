"""One process of the cross-process dedup test: deliver each round's event from many threads at once."""

import threading
from concurrent.futures import ThreadPoolExecutor

from conftest import WHSEC, envelope, std_headers

import hookverify as hv

NOW = 1_700_000_000


def deliver_rounds(url, prefix, rounds, threads, barrier, out):
    """For each round, wait for the other process, then `threads` concurrent deliveries of one id.
    Puts (round, handler runs, statuses) on `out`."""
    runs, lock = [0], threading.Lock()

    def handler(event):
        with lock:
            runs[0] += 1

    r = hv.Receiver(scheme="standard", secret=WHSEC, store=hv.RedisStore(url, prefix=prefix), mode="sync")
    r.on("*", handler)
    body = envelope()
    start = threading.Barrier(threads)

    def one(headers):
        start.wait()
        return r.handle("/hooks", body, headers, now=NOW).status

    with ThreadPoolExecutor(threads) as pool:
        for i in range(rounds):
            headers = std_headers(body, f"evt_{i}", NOW)
            if barrier is not None:
                barrier.wait()
            before = runs[0]
            statuses = list(pool.map(one, [headers] * threads))
            out.put((i, runs[0] - before, statuses))
