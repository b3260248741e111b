"""hookverify.fastapi: the dependency and the routed endpoint, via TestClient and a real uvicorn server."""

import asyncio
import threading

import httpx
import pytest
import uvicorn
from conftest import WHSEC, envelope, free_port, std_headers, wait_for_port
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from scenarios import Behaviour, js_error, run_all

import hookverify as hv
from hookverify.fastapi import Webhook, install


def dependency_app(behaviour, **options):
    app = FastAPI()
    install(app)
    hook = Webhook(scheme="standard", secret=WHSEC, **options)

    @app.post("/hooks")
    def receive(event: hv.Event = Depends(hook)):
        behaviour.handle(event)
        return {"ok": True, "id": event.id}

    return app


def endpoint_app(behaviour, mode="sync"):
    app = FastAPI()
    hook = Webhook(scheme="standard", secret=WHSEC, mode=mode)

    @hook.on("user.*")
    async def created(event):
        await asyncio.sleep(0)
        await asyncio.get_running_loop().run_in_executor(None, behaviour.handle, event)

    app.add_api_route("/hooks", hook.endpoint, methods=["POST"])
    app.state.hook = hook
    return app


def client_post(app):
    client = TestClient(app, raise_server_exceptions=False)

    def post(path, body, headers):
        r = client.post(path, content=body, headers=headers)
        return r.status_code, dict(r.headers), r.json()

    return post


def test_dependency_ack_policy_with_the_test_client():
    behaviour = Behaviour()
    run_all(client_post(dependency_app(behaviour)), behaviour)


def test_endpoint_with_async_handlers_ack_policy():
    behaviour = Behaviour()
    run_all(client_post(endpoint_app(behaviour)), behaviour)


def test_without_install_the_core_answer_is_the_detail():
    app = FastAPI()
    hook = Webhook(scheme="standard", secret=WHSEC)

    @app.post("/hooks")
    async def receive(event: hv.Event = Depends(hook)):
        return {"id": event.id}

    body = envelope()
    status, headers, js = client_post(app)("/hooks", body, std_headers(body, "m1", ts=1))
    assert status == 401 and js_error(js) == "timestamp_too_old"


def test_async_mode_answers_202_then_runs_in_the_background():
    behaviour = Behaviour()
    post = client_post(endpoint_app(behaviour, mode="async"))
    body = envelope()
    status, _, js = post("/hooks", body, std_headers(body, "m-bg"))
    # TestClient returns once the background task has run.
    assert status == 202 and js["accepted"] is True and behaviour.seen == ["m-bg"]
    assert post("/hooks", body, std_headers(body, "m-bg"))[2]["duplicate"] is True
    other = envelope("invoice.paid")
    assert post("/hooks", other, std_headers(other, "m-none"))[0] == 202
    # Sync acknowledges an unhandled type: 200 (it was 404 before the per-mode default).
    assert post("/hooks", other, {**std_headers(other, "m-none"), "Hookverify-Sync": "true"})[0] == 200


def test_body_over_the_cap_is_413():
    body = envelope()
    status, _, js = client_post(dependency_app(Behaviour(), max_body_bytes=16))("/hooks", body, std_headers(body, "m"))
    assert status == 413 and js_error(js) == "payload_too_large"


def test_redis_store_and_redis_down(redis_server):
    from conftest import RedisServer

    own = RedisServer()
    behaviour = Behaviour()
    post = client_post(dependency_app(behaviour, store=hv.RedisStore(own.url, prefix="fa503:", timeout=0.5)))
    body = envelope()
    assert post("/hooks", body, std_headers(body, "m-up"))[0] == 200
    assert post("/hooks", body, std_headers(body, "m-up"))[2]["duplicate"] is True
    own.stop()
    status, headers, js = post("/hooks", body, std_headers(body, "m-down"))
    assert status == 503 and js_error(js) == "store_unavailable" and headers["retry-after"] == "5"
    assert behaviour.seen == ["m-up"]


@pytest.fixture
def served():
    """A real uvicorn server in a thread on a free loopback port, stopped after the test."""
    running = []

    def serve(app):
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        wait_for_port(port)
        running.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield serve
    for server, thread in running:
        server.should_exit = True
        thread.join(10)


def http_post(base):
    def post(path, body, headers):
        r = httpx.post(base + path, content=body, headers=headers, timeout=10)
        return r.status_code, dict(r.headers), r.json()

    return post


def test_real_server_dependency(served):
    behaviour = Behaviour()
    run_all(http_post(served(dependency_app(behaviour))), behaviour)


def test_real_server_endpoint(served):
    behaviour = Behaviour()
    run_all(http_post(served(endpoint_app(behaviour))), behaviour)
