"""The inbox from Python (issue 21, part 3): ``hookverify.open_inbox`` on the inbox a real
``hookverify serve`` filled with Standard Webhooks deliveries signed here with ``hmac`` (one function
failing on purpose) — an SQLite file, and a PostgreSQL database on a private server — then list with
filters, show by record id and by event id (the same record as ``hookverify inbox show --json``),
and replay: a handler that returns (done, a new attempt), one that raises (failed, its text
recorded), a coroutine handler (``replay_async``), a replay of an event another replay holds (a
typed error), unknown ids (None / a typed error)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from conftest import ROOT, assert_mypy_strict, free_port

import hookverify as hv

CLI = ROOT / "target" / "release" / "hookverify"
KEY = secrets.token_bytes(24)
SECRET = "whsec_" + base64.b64encode(KEY).decode()
PG_PASSWORD = "pg-inbox-api-" + secrets.token_hex(6)

CONFIG = """listen = "127.0.0.1:0"
inbox = "{inbox}"

[retry]
max_attempts = 1
initial_backoff_seconds = 1

[[provider]]
name = "standard"
scheme = "standard"
secrets_env = "HV_STANDARD_SECRETS"

[[function]]
provider = "standard"
path = "hooks"
run = ["./fn.sh"]
"""

# Fails (exit 3) when the body says so: one event ends failed.
FUNCTION = '#!/bin/sh\ncase "$(cat)" in *fail*) echo "deploy broke" >&2; exit 3 ;; esac\n'


def signed(msg_id: str, body: bytes, key: bytes = KEY) -> Dict[str, str]:
    """Standard Webhooks headers computed with Python's hmac, never hookverify's signer."""
    ts = str(int(time.time()))
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": ts,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
        "authorization": "Bearer do-not-store",
    }


def post(url: str, headers: Dict[str, str], body: bytes) -> int:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return int(res.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def until(what: str, check: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def fill(directory: Path, inbox: str) -> None:
    """Runs ``hookverify serve`` with ``inbox``, delivers evt_ok, evt_fail and a forged one, waits for
    both events to end, and stops serve (by its pid): the replays run here, not in serve."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hookverify.toml").write_text(CONFIG.format(inbox=inbox))
    (directory / "fn.sh").write_text(FUNCTION)
    (directory / "fn.sh").chmod(0o755)
    env = {**os.environ, "HV_STANDARD_SECRETS": SECRET}
    proc = subprocess.Popen(
        [str(CLI), "serve", "--config", str(directory / "hookverify.toml")],
        cwd=directory,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        banner = proc.stderr.readline()
        assert "serving on http://127.0.0.1:" in banner, banner
        drain = threading.Thread(target=proc.stderr.read, daemon=True)
        drain.start()
        base = banner.split("serving on ")[1].split()[0].rstrip("/")
        url = base + "/hooks"
        for msg_id, body in (
            ("evt_ok", b'{"type":"order.paid","say":"fine"}'),
            ("evt_fail", b'{"type":"order.paid","say":"fail"}'),
        ):
            assert post(url, signed(msg_id, body), body) == 202
        assert post(url, signed("evt_forged", b"{}", secrets.token_bytes(24)), b"{}") == 401
        inbox_ = hv.open_inbox(inbox if inbox.startswith("postgres") else str(directory / inbox))

        def ended() -> bool:
            ok, failed = inbox_.show("evt_ok"), inbox_.show("evt_fail")
            return bool(ok and failed and ok["state"] == "done" and failed["state"] == "failed")

        until("both events to end", ended)
    finally:
        proc.kill()
        proc.wait(10)


def cli_show(directory: Path, id: Any) -> Dict[str, Any]:
    run = subprocess.run(
        [str(CLI), "inbox", "show", str(id), "--json", "--config", str(directory / "hookverify.toml")],
        capture_output=True,
        text=True,
        env={**os.environ, "HV_STANDARD_SECRETS": SECRET},
    )
    assert run.returncode == 0, run.stderr
    shown: Dict[str, Any] = json.loads(run.stdout)
    return shown


# ---------------------------------------------------------------- a private PostgreSQL server


def pg_bin() -> Optional[Path]:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if shutil.which("initdb"):
        return Path(shutil.which("initdb") or "").parent
    return found[-1].parent if found else None


class PgServer:
    """initdb in a temp dir and a postgres on a free loopback port (as the ``postgres`` OS user when
    we are root: it refuses to run as root); stopped by its pid."""

    def __init__(self, base: Path) -> None:
        bin_dir = pg_bin()
        if bin_dir is None:
            pytest.fail("PostgreSQL is not installed (scripts/deps-apt.sh installs apt `postgresql`)")
        self.dir = base / "pg"
        self.dir.mkdir()
        user = None
        if os.getuid() == 0:
            user = "postgres"
            entry = pwd.getpwnam(user)
            os.chown(base, entry.pw_uid, entry.pw_gid)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        pwfile = self.dir / "pwfile"
        pwfile.write_text(PG_PASSWORD)
        if user:
            entry = pwd.getpwnam(user)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        init = subprocess.run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(self.dir / "data"),
                "-U",
                "hookverify",
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                f"--pwfile={pwfile}",
            ],
            capture_output=True,
            text=True,
            user=user,
        )
        assert init.returncode == 0, init.stderr
        pwfile.unlink()
        self.port = free_port()
        self.log = open(self.dir / "server.log", "w")
        self.proc = subprocess.Popen(
            [
                str(bin_dir / "postgres"),
                "-D",
                str(self.dir / "data"),
                "-p",
                str(self.port),
                "-k",
                str(self.dir),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "shared_buffers=16MB",
                "-c",
                "fsync=off",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            user=user,
        )
        self.url = f"postgres://hookverify:{PG_PASSWORD}@127.0.0.1:{self.port}/postgres?connect_timeout=2"

        def accepting() -> bool:
            assert self.proc.poll() is None, (self.dir / "server.log").read_text()
            try:
                hv.open_inbox(self.url)
                return True
            except hv.HookverifyError:
                return False

        until("postgres to accept connections", accepting, 30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(2)  # SIGINT: fast shutdown
            self.proc.wait(20)
        self.log.close()


# ---------------------------------------------------------------- fixtures: one inbox per backend


@pytest.fixture(scope="module")
def sqlite_inbox(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, str]:
    directory = tmp_path_factory.mktemp("inbox-api-sqlite")
    fill(directory, "inbox.db")
    return directory, str(directory / "inbox.db")


@pytest.fixture(scope="module")
def postgres_inbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[Path, str]]:
    # Not under pytest's tmp (mode 0700, root's): the server runs as the postgres user.
    base = Path(tempfile.mkdtemp(prefix="hookverify-inbox-api-pg-"))
    server = PgServer(base)
    try:
        directory = base / "serve"
        fill(directory, server.url)
        yield directory, server.url
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgres"])
def filled(request: pytest.FixtureRequest) -> Tuple[Path, str]:
    value: Tuple[Path, str] = request.getfixturevalue(f"{request.param}_inbox")
    return value


# ---------------------------------------------------------------- the tests


def test_list_filters_by_status_provider_and_limit(filled: Tuple[Path, str]) -> None:
    _, location = filled
    inbox = hv.open_inbox(location)
    rows = inbox.list()
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), reverse=True), "newest first"
    assert [(r["event_id"], r["state"], r["verdict"]) for r in rows] == [
        (None, "rejected", "no_matching_signature"),
        ("evt_fail", "failed", "accepted"),
        ("evt_ok", "done", "accepted"),
    ]
    failed = inbox.list(status="failed")
    assert [(r["event_id"], r["attempts"], r["provider"], r["path"]) for r in failed] == [
        ("evt_fail", 1, "standard", "/hooks")
    ]
    assert inbox.list(provider="nobody") == []
    assert len(inbox.list(provider="standard")) == 3  # the forged one matched the provider too
    assert [r["state"] for r in inbox.list(limit=1)] == ["rejected"]
    with pytest.raises(hv.HookverifyError) as e:
        inbox.list(status="bogus")  # type: ignore[arg-type]
    assert e.value.code == "invalid_argument"


def test_show_by_record_id_and_event_id_is_the_clis_record(filled: Tuple[Path, str]) -> None:
    directory, location = filled
    inbox = hv.open_inbox(location)
    by_event = inbox.show("evt_fail")
    assert by_event is not None
    assert by_event["body"] == '{"type":"order.paid","say":"fail"}'
    assert (by_event["body_size"], by_event["body_truncated"]) == (len(by_event["body"]), False)
    assert ["authorization", "[redacted]"] in [[k.lower(), v] for k, v in by_event["headers"]]
    assert "do-not-store" not in json.dumps(by_event)
    assert [a["ok"] for a in by_event["attempts"]] == [False]
    assert "exit status: 3" in by_event["attempts"][0]["error"]
    assert inbox.show(by_event["id"]) == by_event
    assert inbox.show(str(by_event["id"])) == by_event
    assert by_event == cli_show(directory, "evt_fail")
    rejected = inbox.list(status="rejected")[0]
    assert inbox.show(rejected["id"]) == cli_show(directory, rejected["id"])
    assert inbox.show("evt_unknown") is None
    assert inbox.show(999999) is None


def test_replay_records_a_new_attempt_done_or_failed(filled: Tuple[Path, str]) -> None:
    directory, location = filled
    inbox = hv.open_inbox(location)
    jobs: List[Dict[str, Any]] = []

    def handler(job: Dict[str, Any]) -> None:
        jobs.append(job)
        shown = inbox.show(job["id"])
        assert shown is not None and shown["state"] == "pending", "never done before the handler finished"

    before = inbox.show("evt_fail")
    assert before is not None
    first = before["attempts"][-1]["number"] if before["attempts"] else 0
    ok = inbox.replay("evt_fail", handler)
    (job,) = jobs
    assert (job["event_id"], job["attempt"], job["provider"], job["path"], job["body"]) == (
        "evt_fail",
        first + 1,
        "standard",
        "/hooks",
        '{"type":"order.paid","say":"fail"}',
    )
    assert any(k.lower() == "webhook-signature" for k, _ in job["headers"])
    assert ok == hv.ReplayResult(job["id"], first + 1, True, None, True)
    record = inbox.show("evt_fail")
    assert record is not None and record["state"] == "done"
    assert [a["ok"] for a in record["attempts"]][-2:] == [False, True]
    assert record == cli_show(directory, "evt_fail")

    def broken(job: Dict[str, Any]) -> None:
        raise RuntimeError("downstream said no")

    bad = inbox.replay(job["id"], broken)
    assert (bad.ok, bad.error, bad.attempt, bad.recorded) == (False, "downstream said no", first + 2, True)
    record = inbox.show("evt_fail")
    assert record is not None and record["state"] == "failed"
    assert record["attempts"][-1]["error"] == "downstream said no"

    async def coroutine_ok(job: Dict[str, Any]) -> None:
        await asyncio.sleep(0)

    async def coroutine_bad(job: Dict[str, Any]) -> None:
        raise ValueError()

    assert asyncio.run(inbox.replay_async("evt_fail", coroutine_ok)).ok is True
    assert inbox.replay("evt_fail", coroutine_ok).ok is True  # a coroutine function under the sync replay
    failed = asyncio.run(inbox.replay_async("evt_fail", coroutine_bad))
    assert (failed.ok, failed.error) == (False, "ValueError")
    assert asyncio.run(inbox.replay_async("evt_fail", lambda job: None)).ok is True
    record = inbox.show("evt_fail")
    assert record is not None and record["state"] == "done"
    assert [a["ok"] for a in record["attempts"]][-4:] == [True, True, False, True]


def test_replay_of_a_held_refused_or_unknown_event_is_a_typed_error(filled: Tuple[Path, str]) -> None:
    _, location = filled
    inbox, other = hv.open_inbox(location), hv.open_inbox(location)
    started, release = threading.Event(), threading.Event()
    errors: List[hv.HookverifyError] = []

    def hold(job: Dict[str, Any]) -> None:
        started.set()
        assert release.wait(10)

    result: List[hv.ReplayResult] = []
    runner = threading.Thread(target=lambda: result.append(inbox.replay("evt_ok", hold)))
    runner.start()
    assert started.wait(10)
    try:
        other.replay("evt_ok", lambda job: pytest.fail("ran while another replay held the event"))
    except hv.HookverifyError as e:
        errors.append(e)
    finally:
        release.set()
        runner.join(10)
    assert [e.code for e in errors] == ["invalid_argument"]
    assert "not an accepted event that can run now" in errors[0].message
    assert result and result[0].ok
    record = inbox.show("evt_ok")
    assert record is not None and record["state"] == "done"

    rejected = inbox.list(status="rejected")[0]
    for key in (rejected["id"], "evt_unknown"):
        with pytest.raises(hv.HookverifyError) as e:
            inbox.replay(key, lambda job: pytest.fail("ran a refused or unknown delivery"))
        assert e.value.code == "invalid_argument"


def test_open_inbox_never_creates_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.db"
    with pytest.raises(hv.HookverifyError) as e:
        hv.open_inbox(str(missing))
    assert e.value.code == "inbox_unavailable"
    assert not missing.exists()
    with pytest.raises(hv.HookverifyError) as e:
        hv.open_inbox("")
    assert e.value.code == "invalid_argument"


def test_open_inbox_by_config_finds_the_inbox_serve_writes(filled: Tuple[Path, str]) -> None:
    directory, location = filled
    # The working directory is not the config's: `inbox = "inbox.db"` is found next to the file.
    assert Path.cwd() != directory
    by_config, by_location = hv.open_inbox(config=str(directory / "hookverify.toml")), hv.open_inbox(location)
    rows = by_config.list()
    assert len(rows) == 3
    assert rows == by_location.list()
    assert by_config.show("evt_fail") == by_location.show("evt_fail")


def test_open_inbox_by_config_names_the_problem_as_the_cli_does(tmp_path: Path) -> None:
    def refused(**kwargs: Any) -> str:
        with pytest.raises(hv.HookverifyError) as e:
            hv.open_inbox(**kwargs)
        assert e.value.code == "invalid_argument"
        return str(e.value)

    (tmp_path / "no-inbox.toml").write_text('listen = "127.0.0.1:0"\n')
    assert 'no inbox: set inbox = "inbox.db"' in refused(config=str(tmp_path / "no-inbox.toml"))
    assert "absent.toml: cannot read" in refused(config=str(tmp_path / "absent.toml"))
    (tmp_path / "broken.toml").write_text('listen = "127.0.0.1:0"\ninbox = 7\n')
    assert re.search(r"broken\.toml:2:\d+: inbox:", refused(config=str(tmp_path / "broken.toml")))
    assert "not both" in refused(location="inbox.db", config=str(tmp_path / "no-inbox.toml"))
    refused(config="")
    refused()
    # A config naming a file that is not there: as a missing location, nothing created.
    (tmp_path / "later.toml").write_text('inbox = "later.db"\n')
    with pytest.raises(hv.HookverifyError) as e:
        hv.open_inbox(config=str(tmp_path / "later.toml"))
    assert e.value.code == "inbox_unavailable"
    assert not (tmp_path / "later.db").exists()


def test_the_inbox_api_type_checks_under_mypy_strict(tmp_path: Path) -> None:
    assert_mypy_strict(
        tmp_path,
        """
import asyncio
from typing import Any, Dict, List, Optional
import hookverify as hv

inbox: hv.Inbox = hv.open_inbox("inbox.db")
served: hv.Inbox = hv.open_inbox(config="serve.toml")
rows: List[Dict[str, Any]] = inbox.list(status="failed", provider="github", limit=10)
record: Optional[Dict[str, Any]] = inbox.show(3)

def handler(job: Dict[str, Any]) -> None:
    print(job["event_id"], job["attempt"])

async def coroutine(job: Dict[str, Any]) -> None:
    await asyncio.sleep(0)

result: hv.ReplayResult = inbox.replay("evt_1", handler, lease=30.0)
ok: bool = result.ok
error: Optional[str] = result.error
later: hv.ReplayResult = asyncio.run(inbox.replay_async("evt_1", coroutine))
lease: float = hv.DEFAULT_REPLAY_LEASE
""",
    )
