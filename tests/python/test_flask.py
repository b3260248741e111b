"""hookverify.flask: the decorator and the blueprint, via Flask's test client and a real werkzeug server."""

import json
import threading
import urllib.error
import urllib.request

import pytest
from conftest import GH_SECRET, WHSEC, envelope, gh_headers, std_headers
from flask import Flask
from scenarios import Behaviour, run_all
from werkzeug.serving import make_server

import hookverify as hv
from hookverify.flask import WebhookBlueprint, webhook


def decorated_app(behaviour, **options):
    app = Flask(__name__)

    @app.post("/hooks")
    @webhook(scheme="standard", secret=WHSEC, mode="sync", **options)
    def hooks(event):
        behaviour.handle(event)

    return app


def client_post(app):
    client = app.test_client()

    def post(path, body, headers):
        r = client.post(path, data=body, headers=headers)
        return r.status_code, dict(r.headers), r.get_json()

    return post


def test_decorator_ack_policy_with_the_test_client():
    behaviour = Behaviour()
    run_all(client_post(decorated_app(behaviour)), behaviour)


def test_blueprint_ack_policy_with_the_test_client():
    behaviour, app = Behaviour(), Flask(__name__)
    bp = WebhookBlueprint("hooks", __name__, url="/hooks", scheme="standard", secret=WHSEC, mode="sync")
    bp.on("user.created", behaviour.handle)
    app.register_blueprint(bp)
    run_all(client_post(app), behaviour)


def test_async_mode_answers_202_and_runs_after_in_an_app_context():
    app, seen = Flask(__name__), []
    app.config["MARK"] = "app-context"

    @app.post("/hooks/<tenant>")
    @webhook(scheme="standard", secret=WHSEC)
    def hooks(event, tenant):
        from flask import current_app

        seen.append((event.id, tenant, current_app.config["MARK"]))
        if event.data.get("fail_once") and len(seen) == 1:
            raise RuntimeError("fails in the background")

    post = client_post(app)
    body = envelope(data={"fail_once": True})
    h = std_headers(body, "msg_async")
    status, _, js = post("/hooks/acme", body, h)
    assert status == 202 and js == {"ok": True, "id": "msg_async", "accepted": True}
    assert hooks.receiver.wait(5)
    # The background failure released the claim: the sender's retry runs the handler again.
    assert post("/hooks/acme", body, h)[0] == 202 and hooks.receiver.wait(5)
    assert seen == [("msg_async", "acme", "app-context")] * 2
    assert post("/hooks/acme", body, h)[2]["duplicate"] is True
    # Hookverify-Sync: true switches one request to sync handling.
    other = envelope("user.deleted")
    status, _, js = post("/hooks/acme", other, {**std_headers(other, "msg_sync"), "Hookverify-Sync": "true"})
    assert status == 200 and js == {"ok": True, "id": "msg_sync"}


def test_multi_provider_blueprint_first_match_wins():
    app, got = Flask(__name__), []
    bp = WebhookBlueprint(
        "multi",
        __name__,
        url="/in",
        mode="sync",
        providers=[
            hv.Provider("github", scheme="github", secret=GH_SECRET),
            hv.Provider("svix", scheme="standard", secret=WHSEC, match="svix-id"),
            hv.Provider("standard", scheme="standard", secret=WHSEC),
        ],
    )
    bp.on("issues", lambda e: got.append(("github", e.type)), provider="github")
    bp.on("*", lambda e: got.append(("standard", e.type)), provider="standard")
    app.register_blueprint(bp, url_prefix="/hooks")
    post = client_post(app)
    body = b'{"action":"opened"}'
    assert post("/hooks/in", body, gh_headers(body, "d-1"))[0] == 200
    sbody = envelope()
    assert post("/hooks/in", sbody, std_headers(sbody, "m-1"))[0] == 200
    # The svix rule matches first; no route takes svix's events: sync acknowledges it (200).
    status, _, js = post("/hooks/in", sbody, {**std_headers(sbody, "m-2"), "svix-id": "m-2"})
    assert status == 200 and js["handled"] is False
    assert got == [("github", "issues.opened"), ("standard", "user.created")]
    assert post("/hooks/in", b"{}", {})[0] == 401


def test_body_over_the_cap_is_413_without_reading_it():
    app = decorated_app(Behaviour(), max_body_bytes=16)
    body = envelope()
    status, _, js = client_post(app)("/hooks", body, std_headers(body, "m-big"))
    assert status == 413 and js["error"]["code"] == "payload_too_large"


def test_redis_down_is_503(redis_server):
    from conftest import RedisServer

    own = RedisServer()
    behaviour = Behaviour()
    app = decorated_app(behaviour, store=hv.RedisStore(own.url, prefix="flask503:", timeout=0.5))
    post = client_post(app)
    body = envelope()
    assert post("/hooks", body, std_headers(body, "m-up"))[0] == 200
    own.stop()
    status, headers, js = post("/hooks", body, std_headers(body, "m-down"))
    assert status == 503 and js["error"]["code"] == "store_unavailable" and headers["Retry-After"] == "5"
    assert behaviour.seen == ["m-up"]


@pytest.fixture
def served():
    """A real threaded werkzeug server on a free loopback port, shut down after the test."""
    servers = []

    def serve(app):
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield serve
    for server, thread in servers:
        server.shutdown()
        thread.join(10)


def http_post(base):
    def post(path, body, headers):
        req = urllib.request.Request(base + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, dict(r.headers), json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), json.loads(e.read())

    return post


def test_real_server_on_loopback(served):
    behaviour = Behaviour()
    run_all(http_post(served(decorated_app(behaviour))), behaviour)
