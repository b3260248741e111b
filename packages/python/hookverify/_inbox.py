"""The durable inbox ``hookverify serve`` writes: list, show and replay from Python.

The inbox (an SQLite file or a PostgreSQL database) records every delivery a receiver answered
and, for accepted events, each handler attempt. ``open_inbox(location)``, or
``open_inbox(config="serve.toml")``, opens one for reading and replay; every step is the Rust
core's (``hookverify::inbox``), so a record here is the same JSON as ``hookverify inbox show
--json``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import typing as t

from . import _native
from ._errors import HookverifyError

__all__ = ["DEFAULT_REPLAY_LEASE", "Inbox", "ReplayResult", "open_inbox"]

DEFAULT_REPLAY_LEASE = 60.0
"""Seconds a replay holds its event (``lease=``): make it longer than the handler runs."""

InboxState = t.Union[
    t.Literal["rejected"], t.Literal["duplicate"], t.Literal["pending"], t.Literal["done"], t.Literal["failed"]
]
"""Where a recorded delivery stands."""

Summary = t.Dict[str, t.Any]
"""One recorded delivery as ``Inbox.list`` gives it: ``id``, ``received_at_ms``, ``provider``,
``path``, ``verdict``, ``status``, ``event_id``, ``event_type``, ``state``, ``attempts`` (a count)."""

Record = t.Dict[str, t.Any]
"""One delivery in full (``Inbox.show``): the summary's keys plus ``query``, ``headers``
(``[name, value]`` pairs, credentials ``[redacted]``), ``body`` (text) or ``body_hex``,
``body_size``, ``body_truncated`` and ``attempts`` (a list of ``{number, started_at_ms,
ended_at_ms, ok, error}``)."""

Job = t.Dict[str, t.Any]
"""What a replay's handler is given: ``id`` (the record id), ``attempt`` (a new number for each
replay), ``provider``, ``path``, ``query``, ``headers``, ``event_id``, ``event_type``, and the raw
body as ``body`` (text) or ``body_hex``."""


class ReplayResult(t.NamedTuple):
    """How a replay ended."""

    id: int
    """The record id."""
    attempt: int
    """The attempt this replay was."""
    ok: bool
    """The handler returned: the record is ``done``. Else it is ``failed`` with ``error``."""
    error: t.Optional[str]
    """The handler's exception as text (``str(exc)``, else its type's name)."""
    recorded: bool
    """False: the lease ran out while the handler ran and another worker took the event."""


def _key(id: t.Union[int, str]) -> str:
    if isinstance(id, bool) or not isinstance(id, (int, str)) or id == "":
        raise _invalid(f"an inbox id must be a record id (int) or an event id (non-empty str), got {type(id).__name__}")
    return str(id)


def _invalid(reason: str) -> HookverifyError:
    return HookverifyError("invalid_argument", f"invalid argument: {reason}", {"reason": reason})


def _lease_ms(lease: float) -> int:
    if isinstance(lease, bool) or not isinstance(lease, (int, float)) or not lease > 0 or lease == float("inf"):
        raise _invalid("lease must be a positive number of seconds")
    return max(1, int(lease * 1000))


def _failure(e: BaseException) -> str:
    return str(e) or type(e).__name__


class Inbox:
    """An opened inbox (``open_inbox``). Its methods may be called from several threads."""

    def __init__(self, native: _native.Inbox) -> None:
        self._native = native

    def list(
        self, *, status: t.Optional[InboxState] = None, provider: t.Optional[str] = None, limit: t.Optional[int] = None
    ) -> t.List[Summary]:
        """Recorded deliveries, newest first (default limit 100), optionally only those in ``status``
        or of ``provider``."""
        filter_json = json.dumps(
            {k: v for k, v in (("status", status), ("provider", provider), ("limit", limit)) if v is not None}
        )
        rows: t.List[Summary] = json.loads(self._native.list(filter_json))
        return rows

    def show(self, id: t.Union[int, str]) -> t.Optional[Record]:
        """One delivery in full, by record id or event id; None when there is none."""
        text = self._native.show(_key(id))
        return None if text is None else t.cast(Record, json.loads(text))

    def replay(
        self, id: t.Union[int, str], handler: t.Callable[[Job], t.Any], *, lease: float = DEFAULT_REPLAY_LEASE
    ) -> ReplayResult:
        """Runs ``handler(job)`` on recorded event ``id`` again now, as a new attempt, bypassing
        dedup, and records it ``done`` when the handler returns or ``failed`` (with the exception's
        text) when it raises; never retried. A coroutine handler is run to completion
        (``asyncio.run``; on an event loop use ``replay_async``). Raises ``HookverifyError``
        ``invalid_argument`` when there is no such record, or it is not an accepted event that can
        run now (refused, or leased by a running worker)."""
        if not callable(handler):
            raise _invalid("replay's handler must be callable")
        handle, job = self._begin(_key(id), _lease_ms(lease))
        error: t.Optional[str] = None
        try:
            result = handler(job)
            if result is not None and inspect.isawaitable(result):
                asyncio.run(_await(result))
        except Exception as e:
            error = _failure(e)
        recorded = self._native.finish_replay(handle, error)
        return ReplayResult(job["id"], job["attempt"], error is None, error, recorded)

    async def replay_async(
        self, id: t.Union[int, str], handler: t.Callable[[Job], t.Any], *, lease: float = DEFAULT_REPLAY_LEASE
    ) -> ReplayResult:
        """``replay`` on an event loop: a coroutine handler is awaited, a plain one runs in a thread,
        and so do the inbox's own (blocking) calls."""
        if not callable(handler):
            raise _invalid("replay's handler must be callable")
        key, lease_ms = _key(id), _lease_ms(lease)
        loop = asyncio.get_running_loop()
        handle, job = await loop.run_in_executor(None, self._begin, key, lease_ms)
        error: t.Optional[str] = None
        try:
            if inspect.iscoroutinefunction(handler):
                await handler(job)
            else:
                result = await loop.run_in_executor(None, functools.partial(handler, job))
                if inspect.isawaitable(result):
                    await result
        except Exception as e:
            error = _failure(e)
        recorded = await loop.run_in_executor(None, self._native.finish_replay, handle, error)
        return ReplayResult(job["id"], job["attempt"], error is None, error, recorded)

    def _begin(self, key: str, lease_ms: int) -> t.Tuple[int, Job]:
        begun = json.loads(self._native.begin_replay(key, lease_ms))
        return int(begun["handle"]), t.cast(Job, begun["job"])


async def _await(awaitable: t.Awaitable[t.Any]) -> t.Any:
    return await awaitable


def open_inbox(location: t.Optional[str] = None, *, config: t.Optional[str] = None) -> Inbox:
    """Opens the inbox at ``location``: an SQLite file path (relative to the working directory) or
    a ``postgres://`` URL, as in ``hookverify serve``'s ``inbox =``; or, with ``config=``, the inbox
    that receiver config file names (its ``inbox =``; a relative path is taken relative to the
    file), as ``hookverify inbox --config`` finds it. A missing file raises ``HookverifyError``
    ``inbox_unavailable`` (reading a log never creates one)."""
    if config is not None:
        if location is not None or not isinstance(config, str) or not config:
            raise _invalid("open_inbox takes a location or config= (a receiver config file's path), not both")
        return Inbox(_native.Inbox.open_config(config))
    if not isinstance(location, str) or not location:
        raise _invalid("open_inbox takes a file path, a postgres:// URL or config= (a receiver config file's path)")
    return Inbox(_native.Inbox.open(location))
