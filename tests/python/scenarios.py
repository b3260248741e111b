"""The ack-policy scenarios every framework integration must pass, over any `post` transport.

`post(path, body, headers) -> (status, headers, json)`; the app under test routes every event of
`/hooks` to `Behaviour.handle` in sync mode, directly or through its own endpoint.
"""

import threading
import uuid

from conftest import envelope, std_headers


class Behaviour:
    """A handler whose event data says what to do: fail once, or block until released."""

    def __init__(self) -> None:
        self.seen = []
        self.lock = threading.Lock()
        self.started = threading.Event()
        self.release = threading.Event()

    def handle(self, event) -> None:
        data = event.data
        with self.lock:
            self.seen.append(event.id)
            first = self.seen.count(event.id) == 1
        if data.get("block"):
            self.started.set()
            assert self.release.wait(10), "the test never released the handler"
        if data.get("fail_once") and first:
            raise RuntimeError("deliberate handler failure")


def run_all(post, behaviour: Behaviour, path: str = "/hooks") -> None:
    seen = behaviour.seen
    body = envelope()
    msg = "msg_" + uuid.uuid4().hex
    h = std_headers(body, msg)

    status, _, js = post(path, body, h)
    assert status == 200 and js["ok"] is True, (status, js)
    assert seen == [msg], "a valid delivery runs the handler once"

    status, _, js = post(path, body.replace(b"u_1", b"u_2"), h)
    assert status == 401 and js_error(js) == "no_matching_signature", (status, js)

    status, _, js = post(path, body, h)
    assert status == 200 and js.get("duplicate") is True, (status, js)
    assert seen == [msg], "a duplicate does not run the handler again"

    fail = envelope(data={"fail_once": True})
    fmsg = "msg_" + uuid.uuid4().hex
    status, _, js = post(path, fail, std_headers(fail, fmsg))
    assert status == 500, (status, js)
    status, _, js = post(path, fail, std_headers(fail, fmsg))
    assert status == 200, (status, js)
    assert seen.count(fmsg) == 2, "the retry after a failure runs the handler again"

    block = envelope(data={"block": True})
    bmsg = "msg_" + uuid.uuid4().hex
    first = {}
    t = threading.Thread(target=lambda: first.update(r=post(path, block, std_headers(block, bmsg))))
    t.start()
    try:
        assert behaviour.started.wait(10), "the first delivery never reached the handler"
        status, headers, js = post(path, block, std_headers(block, bmsg))
        assert status == 409 and js.get("in_progress") is True, (status, js)
        assert {k.lower(): v for k, v in headers.items()}.get("retry-after") == "60"
    finally:
        behaviour.release.set()
        t.join(10)
    assert first["r"][0] == 200 and seen.count(bmsg) == 1


def js_error(js):
    err = js.get("error") or (js.get("detail") or {}).get("error") or {}
    return err.get("code")
