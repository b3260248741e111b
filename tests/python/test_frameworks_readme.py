"""The README's Starlette and aiohttp snippets (issue 20, part 3), run as written on a real server on
loopback (uvicorn; aiohttp's AppRunner) and sent deliveries signed with Python's hmac."""

import asyncio
import json
import re
import threading
import typing as t
import urllib.error
import urllib.request

import pytest
import uvicorn
from aiohttp import web
from conftest import ROOT, WHSEC, envelope, free_port, std_headers, wait_for_port


def snippet(host: str) -> str:
    """The ```python block after ``**<host>**`` in the README's `## Frameworks and runtimes`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Frameworks and runtimes\n", 1)[1].split("\n## ", 1)[0]
    after = section.split(f"\n**{host}**", 1)[1]
    match = re.match(r"[^\n]*\n\n```python\n(.*?)```", after, re.S)
    assert match, f"no python block under **{host}**"
    return match.group(1)


def load(host: str, monkeypatch: pytest.MonkeyPatch) -> t.Dict[str, t.Any]:
    monkeypatch.setenv("WEBHOOK_SECRET", WHSEC)
    module: t.Dict[str, t.Any] = {"__name__": f"readme_{host.lower()}"}
    exec(compile(snippet(host), f"README.md#{host}", "exec"), module)
    return module


def post(url: str, body: bytes, headers: t.Dict[str, str]) -> t.Tuple[int, t.Any, t.Any]:
    """Status, headers (looked up without regard to case) and the parsed JSON body."""
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.headers, json.loads(e.read())


def check(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    body = envelope("user.created", {"id": "u_42"})
    good = std_headers(body, "msg_readme")
    status, headers, answer = post(url, body, good)
    assert (status, answer) == (200, {"ok": True, "id": "msg_readme"}), answer
    assert headers.get("Content-Type", "").startswith("application/json")
    assert capsys.readouterr().out == "user created: u_42\n"
    status, _, answer = post(url, body, good)
    assert (status, answer["duplicate"]) == (200, True)
    forged = std_headers(body, "msg_readme", key=b"not the endpoint's secret")
    status, _, answer = post(url, body, forged)
    assert (status, answer["error"]["code"]) == (401, "no_matching_signature"), answer
    status, _, answer = post(url, body + b" ", good)  # the signed bytes, changed after signing
    assert (status, answer["error"]["code"]) == (401, "no_matching_signature"), answer
    assert capsys.readouterr().out == "", "no handler ran for the rejected ones"


def test_starlette_snippet_under_uvicorn(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    app = load("Starlette", monkeypatch)["app"]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        check(f"http://127.0.0.1:{port}/webhooks", capsys)
    finally:
        server.should_exit = True
        thread.join(10)


def test_aiohttp_snippet_under_its_app_runner(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = load("aiohttp", monkeypatch)
    app = module["app"]
    port = free_port()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(start(), loop).result(10)
        check(f"http://127.0.0.1:{port}/webhooks", capsys)
        # The body cap is the receiver's: a larger declared body is refused unread.
        status, _, _ = post_raw(f"http://127.0.0.1:{port}/webhooks", module["receiver"].max_body_bytes + 1)
        assert status == 413
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def post_raw(url: str, size: int) -> t.Tuple[int, bytes, None]:
    req = urllib.request.Request(url, data=b"x" * size, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read(), None
    except urllib.error.HTTPError as e:
        return e.code, e.read(), None
