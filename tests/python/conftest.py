"""Shared paths for the Python suite. It runs against the INSTALLED wheel, never packages/python."""

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"


def load_vectors(relative: str) -> Any:
    return json.loads((VECTORS / relative).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


# ---------------------------------------------------------------- the shared attack vectors

ATTACK_SCHEMES = {"github": "github", "stripe": "stripe", "slack": "slack", "standard-webhooks": "standard"}
_NOT_HEADERS = {"secret_utf8", "secret", "body_utf8", "payload_utf8", "body_hex", "body_file", "now", "tolerance"}


def attack_inputs(case: Any) -> "tuple[str, str, bytes, dict]":
    """(preset, secret, body, headers) of a tests/vectors/attacks/malformed_headers.json case."""
    inputs = case["inputs"]
    secret = inputs.get("secret_utf8", inputs.get("secret"))
    if "body_file" in inputs:
        body = (VECTORS / inputs["body_file"]).read_bytes()
    elif "body_hex" in inputs:
        body = bytes.fromhex(inputs["body_hex"])
    else:
        body = inputs.get("body_utf8", inputs.get("payload_utf8")).encode("utf-8")
    headers = {k: v for k, v in inputs.items() if k not in _NOT_HEADERS and v is not None}
    return ATTACK_SCHEMES[case["scheme"]], secret, body, headers


# ---------------------------------------------------------------- is the GIL released during a call?

import contextlib
import sys
import threading


class GilProbe:
    """Counts how often another thread ran while the block's calls were in progress."""

    ran = 0


@contextlib.contextmanager
def gil_probe():
    """With a 5 s switch interval a spinning thread can only run inside a call that releases the GIL."""
    probe, ticks, stop = GilProbe(), [0], threading.Event()

    def spin():
        while not stop.is_set():
            ticks[0] += 1
            time.sleep(0)  # hands the GIL back at once, so the main thread never waits for it

    old = sys.getswitchinterval()
    sys.setswitchinterval(5.0)
    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.05)
        before = ticks[0]
        yield probe
        probe.ran = ticks[0] - before
    finally:
        stop.set()
        t.join()
        sys.setswitchinterval(old)


# ---------------------------------------------------------------- webhook deliveries signed with stdlib hmac

import base64
import hashlib
import hmac
import shutil
import socket
import subprocess
import time

WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
WHKEY = base64.b64decode(WHSEC[len("whsec_") :])
GH_SECRET = "gh-secret"


def envelope(event_type: str = "user.created", data: Any = None) -> bytes:
    return json.dumps({"type": event_type, "timestamp": "2023-11-14T22:13:20Z", "data": data or {"id": "u_1"}}).encode()


def std_headers(body: bytes, msg_id: str, ts: Any = None, key: bytes = WHKEY) -> dict:
    """Standard Webhooks headers computed with Python's hmac, never with hookverify's signer."""
    ts = int(time.time()) if ts is None else ts
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }


def gh_headers(body: bytes, delivery: str, event: str = "issues") -> dict:
    sig = "sha256=" + hmac.new(GH_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": sig, "X-GitHub-Event": event, "X-GitHub-Delivery": delivery}


def assert_mypy_strict(tmp_path: Path, source: str) -> None:
    """Type-checks `source` against the installed package's stubs with `mypy --strict`."""
    snippet = tmp_path / "use.py"
    snippet.write_text(source)
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", str(snippet)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


class RedisServer:
    """A private redis-server on a free loopback port, no persistence; stopped by its pid."""

    def __init__(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            pytest.fail("redis-server is not installed: run scripts/deps-apt.sh")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer()
    yield server
    server.stop()
