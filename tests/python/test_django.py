"""hookverify.django (issue 20, part 3): ``@webhook`` function views and ``WebhookView``, through
Django's test client with the CSRF middleware enforcing, and under a real ``runserver`` on loopback.
Signatures come from Python's hmac, never from hookverify's signer."""

import base64
import hashlib
import hmac
import json
import os
import re
import socket
import subprocess
import sys
import time
import typing as t
import urllib.error
import urllib.request
from pathlib import Path

import pytest

django = pytest.importorskip("django")
HERE = Path(__file__).resolve().parent
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_site.settings")
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
django.setup()

from django.test import Client  # noqa: E402
from django_site import views  # noqa: E402


def github(
    body: bytes, event: str = "issues", delivery: str = "d-1", secret: str = views.GITHUB_SECRET
) -> t.Dict[str, str]:
    sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": f"sha256={sig}"}


def standard(msg_id: str, body: bytes, secret: str = views.STANDARD_SECRET) -> t.Dict[str, str]:
    ts = str(int(time.time()))
    key = base64.b64decode(secret[len("whsec_") :])
    sig = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    return {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": f"v1,{sig}"}


def post(client: Client, url: str, body: bytes, headers: t.Dict[str, str]) -> t.Any:
    return client.post(url, data=body, content_type="application/json", headers=headers)


@pytest.fixture()
def client() -> Client:
    views.SEEN.clear()
    return Client(enforce_csrf_checks=True)


def test_csrf_is_enforced_but_the_webhook_views_are_exempt(client: Client) -> None:
    assert client.post("/form", data={"a": "1"}).status_code == 403, "the CSRF middleware is on"
    body = json.dumps({"action": "opened", "issue": {"number": 1}}).encode()
    r = post(client, "/hooks/github/acme?x=1", body, github(body))
    assert r.status_code == 200, r.content
    assert r["Content-Type"] == "application/json"
    assert views.SEEN == [("github", "issues.opened", {"tenant": "acme"})]


def test_the_cores_answers(client: Client) -> None:
    body = json.dumps({"action": "opened"}).encode()
    bad = post(client, "/hooks/github/acme", body, github(body, secret="wrong"))
    assert bad.status_code == 401
    assert json.loads(bad.content)["error"]["code"] == "no_matching_signature"
    assert "wrong" not in bad.content.decode()
    assert client.get("/hooks/github/acme").status_code == 405
    big = b'{"action":"' + b"x" * 100 + b'"}'
    too_large = post(client, "/hooks/small", big, github(big))
    assert too_large.status_code == 413
    assert json.loads(too_large.content)["error"]["code"] == "payload_too_large"
    assert views.SEEN == []


def test_bodies_over_djangos_upload_limit_but_under_the_cap_are_read(client: Client) -> None:
    # DATA_UPLOAD_MAX_MEMORY_SIZE is 2.5 MB: request.body would raise RequestDataTooBig.
    body = json.dumps({"action": "opened", "pad": "x" * 3_000_000}).encode()
    r = post(client, "/hooks/github/big", body, github(body, delivery="d-big"))
    assert r.status_code == 200, r.content[:200]
    assert views.SEEN == [("github", "issues.opened", {"tenant": "big"})]


def test_class_based_view_routes_dedups_and_acknowledges_unhandled(client: Client) -> None:
    body = json.dumps({"type": "user.created", "timestamp": "2026-12-03T00:00:00Z", "data": {}}).encode()
    r = post(client, "/hooks/standard", body, standard("msg_1", body))
    assert r.status_code == 200, r.content
    again = post(client, "/hooks/standard", body, standard("msg_1", body))
    assert again.status_code == 200
    other = json.dumps({"type": "invoice.paid", "timestamp": "2026-12-03T00:00:00Z", "data": {}}).encode()
    unhandled = post(client, "/hooks/standard", other, standard("msg_2", other))
    assert unhandled.status_code == 200, "an unhandled type is acknowledged in sync mode"
    assert json.loads(unhandled.content)["handled"] is False
    assert views.SEEN == [("view", "msg_1", "user.created")], "the duplicate did not run again"
    assert client.get("/hooks/standard").status_code == 405


def test_async_mode_answers_202_then_runs_on_the_pool(client: Client) -> None:
    body = json.dumps({"action": "closed"}).encode()
    r = post(client, "/hooks/async", body, github(body, delivery="d-async"))
    assert r.status_code == 202, r.content
    assert views.async_hook.receiver.wait(5)
    assert views.SEEN == [("async", "issues.closed")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_under_a_real_runserver() -> None:
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "django_site.settings", "PYTHONPATH": str(HERE)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise AssertionError("runserver did not start") from None
                time.sleep(0.1)

        def send(path: str, body: bytes, headers: t.Dict[str, str]) -> t.Tuple[int, t.Any]:
            req = urllib.request.Request(
                base + path, data=body, headers={"Content-Type": "application/json", **headers}
            )
            try:
                with urllib.request.urlopen(req, timeout=10) as res:
                    return res.status, json.loads(res.read())
            except urllib.error.HTTPError as e:
                return e.code, e.read()

        body = json.dumps({"action": "opened", "issue": {"number": 7}}).encode()
        status, answer = send("/hooks/github/acme", body, github(body, delivery="d-real"))
        assert status == 200, answer
        assert answer["ok"] is True
        status, _ = send("/hooks/github/acme", body.replace(b"opened", b"closed"), github(body, delivery="d-real2"))
        assert status == 401
        status, _ = send("/form", b"a=1", {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 403, "the CSRF middleware protects the other views"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_types_check_under_mypy_strict(tmp_path: Path) -> None:
    from conftest import assert_mypy_strict

    assert_mypy_strict(
        tmp_path,
        """
from django.http import HttpResponse
from hookverify import Event, Receiver
from hookverify.django import WebhookView, respond, to_response, webhook


@webhook(scheme="github", secret="s", mode="sync")
def hook(event: Event, tenant: str) -> None:
    print(event.id, tenant)


receiver = Receiver(scheme="stripe", secret="whsec_x")
view = WebhookView.as_view(receiver=receiver)
answer: HttpResponse = to_response(receiver.too_large(10**9) or receiver.overloaded())
print(hook, view, respond, answer)
""",
    )


def test_package_readme_django_block_runs(root: Path) -> None:
    readme = (root / "packages" / "python" / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Django", 1)[1].split("\n### ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    expected = re.search(r"print\(.*\)  # (.+)$", block, re.M)
    assert expected is not None
    # A fresh interpreter: the block configures Django's settings itself.
    run = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, cwd=str(root), timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == expected.group(1)
