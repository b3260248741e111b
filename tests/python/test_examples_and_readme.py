"""The runnable examples serve real requests; the README's `## Python` quick start runs."""

import importlib.util
import re
import threading

import httpx
import pytest
import uvicorn
from conftest import ROOT, WHSEC, envelope, free_port, gh_headers, std_headers, wait_for_port
from werkzeug.serving import make_server


def load(example: str):
    spec = importlib.util.spec_from_file_location(
        f"example_{example.replace('-', '_')}", ROOT / "examples" / example / "app.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_examples_have_a_readme_with_the_run_command():
    assert "flask --app app run" in (ROOT / "examples" / "python-flask" / "README.md").read_text()
    assert "uvicorn app:app" in (ROOT / "examples" / "python-fastapi" / "README.md").read_text()


def test_flask_example_serves_on_loopback(monkeypatch):
    monkeypatch.setenv("WEBHOOK_SECRET", WHSEC)
    monkeypatch.setenv("GITHUB_SECRET", "gh-secret")
    monkeypatch.delenv("REDIS_URL", raising=False)
    app = load("python-flask").app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}/webhooks"
        body = envelope()
        assert httpx.post(base, content=body, headers=std_headers(body, "m-ex")).status_code == 200
        assert httpx.post(base, content=body, headers=std_headers(body, "m-ex")).json()["duplicate"] is True
        gh = b'{"action":"opened"}'
        assert httpx.post(base, content=gh, headers=gh_headers(gh, "d-ex")).status_code == 200
        assert httpx.post(base, content=body + b" ", headers=std_headers(body, "m-x")).status_code == 401
    finally:
        server.shutdown()
        thread.join(10)


def test_fastapi_example_serves_on_loopback(monkeypatch):
    monkeypatch.setenv("WEBHOOK_SECRET", WHSEC)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("WEBHOOK_MODE", raising=False)
    app = load("python-fastapi").app
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        base = f"http://127.0.0.1:{port}"
        body = envelope()
        r = httpx.post(base + "/webhooks", content=body, headers=std_headers(body, "m-fa"))
        assert r.status_code == 202 and r.json()["accepted"] is True
        r = httpx.post(base + "/webhooks/direct", content=body, headers=std_headers(body, "m-fa2"))
        assert r.status_code == 200 and r.json() == {"ok": True, "id": "m-fa2", "type": "user.created"}
        r = httpx.post(base + "/webhooks/direct", content=body, headers=std_headers(body, "m-fa2"))
        assert r.status_code == 200 and r.json()["duplicate"] is True
        # The message /webhooks took is new to /webhooks/direct: each endpoint has its namespace.
        r = httpx.post(base + "/webhooks/direct", content=body, headers=std_headers(body, "m-fa"))
        assert r.status_code == 200 and r.json() == {"ok": True, "id": "m-fa", "type": "user.created"}
        assert httpx.post(base + "/webhooks", content=body, headers={}).status_code == 401
    finally:
        server.should_exit = True
        thread.join(10)


def python_section(markdown: str):
    """The ```python blocks under `## Python`, up to the next `## ` heading; None without that heading."""
    match = re.search(r"^## Python[^\n]*\n(.*?)(?=^## |\Z)", markdown, re.S | re.M)
    return None if match is None else re.findall(r"```python\n(.*?)```", match.group(1), re.S)


def test_root_readme_python_quick_start_runs():
    blocks = python_section((ROOT / "README.md").read_text(encoding="utf-8"))
    if blocks is None:
        pytest.skip("README.md has no `## Python` section yet (the lead pastes it from the Python report)")
    assert blocks, "the `## Python` section has no ```python blocks"
    for block in blocks:
        exec(compile(block, "README.md#python", "exec"), {"__name__": "readme"})


def test_package_readme_quick_start_is_the_same_section():
    readme = (ROOT / "packages" / "python" / "README.md").read_text(encoding="utf-8")
    blocks = python_section(readme.replace("## Python quick start", "## Python", 1))
    assert blocks and len(blocks) == 2
    for block in blocks:
        exec(compile(block, "README#python", "exec"), {"__name__": "readme"})
