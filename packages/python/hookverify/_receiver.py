"""The receiving building block the Flask and FastAPI integrations share.

The Rust core decides everything (verify, parse, route, dedup claim, ack policy); this module only
keeps the Python-side configuration, runs the handlers the core names (inline, in a thread, or
awaited), and reports the outcome back with ``finish``.
"""

import asyncio
import functools
import inspect
import json
import logging
import sys
import threading
import typing as t
from concurrent.futures import Future, ThreadPoolExecutor

from . import _native
from ._errors import HookverifyError
from ._native import Delivery, Event, Verifier

__all__ = [
    "DEFAULT_MAX_QUEUE",
    "AsyncCustomStore",
    "ClaimResult",
    "Completion",
    "CustomStore",
    "Decision",
    "Delivery",
    "MemoryStore",
    "Metrics",
    "Provider",
    "Receiver",
    "RedisStore",
    "Router",
    "Store",
]

log = logging.getLogger("hookverify")

#: Deliveries an async-mode receiver holds (waiting for a worker or running) before it answers 503.
DEFAULT_MAX_QUEUE = 1000


def _safe(text: t.Any) -> str:
    """Request-derived text (event ids, types, header values, paths) made safe for a log line:
    control characters (ANSI escapes, CR/LF, ...) are written as escapes, never raw (the core's
    rule, shared by every binding)."""
    return _native.log_safe(str(text))


def _answer(step: "_native._Answer") -> "Decision":
    """The Decision of an answer from the core; a rejected delivery's log line (code, status,
    provider, the detail the answer leaves out; never a secret, already escaped) is logged first,
    as a WARNING of the ``hookverify`` logger."""
    status, headers, body, line = step
    if line is not None:
        log.warning("hookverify: %s", line)
    return _decision((status, headers, body))


Handler = t.Callable[..., t.Any]
_Match = t.Union[None, str, t.Tuple[str, str]]


def _invalid(message: str) -> HookverifyError:
    return HookverifyError("invalid_argument", message)


def _callable(handler: t.Any) -> None:
    if not callable(handler):
        raise _invalid(f"a handler must be callable, got {type(handler).__name__}")


def _delivery(delivery: t.Any) -> None:
    if not isinstance(delivery, Delivery):
        raise _invalid(f"expected the Delivery that begin() returned, got {type(delivery).__name__}")


class Decision(t.NamedTuple):
    """The HTTP answer the core chose: status, headers (name, value pairs) and a JSON body."""

    status: int
    headers: t.List[t.Tuple[str, str]]
    body: str

    def json(self) -> t.Any:
        """The body, parsed."""
        return json.loads(self.body)

    @property
    def error(self) -> t.Optional[HookverifyError]:
        """The core error behind a 4xx/5xx answer (``code`` from ``ERROR_CODES``, or ``handler_failed``)."""
        err = self.json().get("error") if self.status >= 400 else None
        return HookverifyError(err["code"], err["message"], {"status": self.status}) if err else None

    def raise_for_error(self) -> "Decision":
        """Raises ``error`` if there is one; else returns the decision."""
        if self.error is not None:
            raise self.error
        return self


# A Decision from the native (status, headers, body) tuple, without NamedTuple.__new__'s Python frame.
_decision: t.Callable[[t.Tuple[int, t.List[t.Tuple[str, str]], str]], Decision] = functools.partial(
    tuple.__new__, Decision
)  # type: ignore[arg-type]


class Store:
    """A dedup store (see ``MemoryStore`` and ``RedisStore``); share one object between receivers."""

    _native: "_native.Store"
    #: Whether calls do network I/O (async integrations then run them in a worker thread).
    may_block: bool = False


class MemoryStore(Store):
    """An in-process store of about ``capacity`` keys: duplicates are suppressed within ONE process."""

    def __init__(self, capacity: int = _native.DEFAULT_CAPACITY) -> None:
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity <= 0:
            raise _invalid(f"capacity must be a positive int, got {capacity!r}")
        self.capacity = capacity
        self._native = _native.Store.memory(capacity)

    def __repr__(self) -> str:
        return f"MemoryStore(capacity={self.capacity})"


class RedisStore(Store):
    """A Redis store shared by every process of an endpoint. It connects lazily: an unreachable
    server makes deliveries answer 503 (``store_unavailable``) so the sender retries."""

    may_block = True

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = _native.DEFAULT_REDIS_PREFIX,
        timeout: float = _native.DEFAULT_REDIS_TIMEOUT,
    ) -> None:
        if not isinstance(url, str) or not isinstance(prefix, str):
            raise _invalid("url and prefix must be str")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise _invalid(f"timeout must be a positive number of seconds, got {timeout!r}")
        self.prefix = prefix
        self._native = _native.Store.redis(url, prefix, float(timeout))

    def __repr__(self) -> str:
        # The URL may carry a password: never shown.
        return f"RedisStore(prefix={self.prefix!r})"


class Acquired(t.TypedDict):
    """``claim``'s answer when the caller now holds the key: its fencing token, a non-negative int
    larger than every earlier token of that key (even across restarts)."""

    acquired: int


class Done(t.TypedDict):
    """``claim``'s answer when the key was completed within its retention."""

    done: t.Literal[True]


#: ``claim``'s answer when a live claim holds the key: the milliseconds left on its lease.
InProgress = t.TypedDict("InProgress", {"inProgress": int})

#: What a store's ``claim`` answers (the core's claim outcomes, as JS stores answer them too).
ClaimResult = t.Union[Acquired, Done, InProgress]


class Latency(t.TypedDict):
    """A latency histogram: ``cumulative`` counts per bound of the core's buckets (seconds: 0.0001
    ... 10), then ``+Inf`` (equal to ``count``), and the observations' sum in seconds."""

    cumulative: t.List[int]
    sum_seconds: float
    count: int


class DeliverySeries(t.TypedDict):
    """Answered deliveries of one provider (None: none matched), outcome (``handled``,
    ``accepted``, ``unhandled``, ``duplicate``, ``rejected``, ``failed``) and error code."""

    provider: t.Optional[str]
    outcome: str
    code: t.Optional[str]
    latency: Latency


class RunSeries(t.TypedDict):
    """Handler runs that ended after their delivery was answered (``done``, ``failed``, ``retry``,
    ``dead_letter``)."""

    provider: t.Optional[str]
    outcome: str
    latency: Latency


class Metrics(t.TypedDict):
    """``Receiver.metrics()``: every series used so far, in a stable order (spec/metrics.md)."""

    deliveries: t.List[DeliverySeries]
    runs: t.List[RunSeries]


#: What a store's ``complete`` answers: the done marker is recorded, or ``token`` no longer held the key.
Completion = t.Union[t.Literal["recorded"], t.Literal["lease_lost"]]


class CustomStore(t.Protocol):
    """A dedup store that is your code (a database, your own Redis client), with plain methods, for
    blocking hosts (Flask, Django, ``Receiver.handle``); async hosts run them in a thread. The
    semantics are the core's stores':

    - ``claim(key, lease_ms)``: if ``key`` is done (within its retention) answer ``{"done": True}``;
      if a live claim holds it answer ``{"inProgress": ms_left}``; else claim it for ``lease_ms``
      and answer ``{"acquired": token}``, a fencing token larger than every earlier one of ``key``.
    - ``complete(key, token, retention_ms)``: if ``token`` still holds ``key``, mark it done for
      ``retention_ms`` and answer ``"recorded"``, else ``"lease_lost"``.
    - ``release(key, token)``: drop the claim if ``token`` still holds it (the handlers failed).

    A method that raises is the store being down: a claim answers 503 ``store_unavailable``
    (``Retry-After``; the sender retries) before any handler runs, as does an answer of another
    shape; a failed ``complete`` still answers 200, with ``Hookverify-Warning``. The exception's
    text goes to the log line, never to the HTTP answer.
    """

    def claim(self, key: str, lease_ms: int) -> ClaimResult: ...
    def complete(self, key: str, token: int, retention_ms: int) -> Completion: ...
    def release(self, key: str, token: int) -> object: ...


class AsyncCustomStore(t.Protocol):
    """``CustomStore`` with ``async def`` methods (an asyncio database or Redis client), for async
    hosts (FastAPI, Starlette, ``begin_async``), which await them on their event loop."""

    async def claim(self, key: str, lease_ms: int) -> ClaimResult: ...
    async def complete(self, key: str, token: int, retention_ms: int) -> Completion: ...
    async def release(self, key: str, token: int) -> object: ...


#: What ``store=`` takes: a ``MemoryStore``, a ``RedisStore``, or your own store.
AnyStore = t.Union[Store, CustomStore, AsyncCustomStore]

_STORE_METHODS = ("claim", "complete", "release")


def _is_custom(store: t.Any) -> bool:
    return not isinstance(store, Store) and all(callable(getattr(store, m, None)) for m in _STORE_METHODS)


def _failed(exc: Exception) -> str:
    """A store method that raised, as the core reads it: the store failed (its text is for the log)."""
    return json.dumps({"error": f"{type(exc).__name__}: {exc}"})


def _as_json(answer: t.Any) -> str:
    """A store's answer as the JSON the core checks (``claim_from_json``, ``completion_from_json``);
    a value JSON cannot hold reaches the core as its type's name, which it refuses."""
    try:
        return json.dumps(answer, allow_nan=False)
    except (TypeError, ValueError):
        return json.dumps(f"{type(answer).__name__} object")


def _call(method: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
    """Calls a store method from blocking code (an ``async def`` one is run to completion)."""
    answer = method(*args)
    return asyncio.run(_await(answer)) if inspect.isawaitable(answer) else answer


async def _call_async(method: t.Callable[..., t.Any], *args: t.Any) -> t.Any:
    """Calls a store method from the event loop: awaited, or (a plain one) run in a thread."""
    if inspect.iscoroutinefunction(method):
        return await method(*args)
    answer = await asyncio.get_running_loop().run_in_executor(None, functools.partial(method, *args))
    return await answer if inspect.isawaitable(answer) else answer


def _ask(method: t.Callable[..., t.Any], *args: t.Any) -> str:
    """``_call``'s answer as the core reads it (``_as_json``; ``_failed`` when it raised)."""
    try:
        return _as_json(_call(method, *args))
    except Exception as exc:
        return _failed(exc)


async def _ask_async(method: t.Callable[..., t.Any], *args: t.Any) -> str:
    """``_call_async``'s answer as the core reads it (``_as_json``; ``_failed`` when it raised)."""
    try:
        return _as_json(await _call_async(method, *args))
    except Exception as exc:
        return _failed(exc)


class Provider:
    """One sender on an endpoint: a name, a verifier, and how its requests are recognised.

    ``name`` defaults to the scheme's name (a preset's name, or a custom spec's ``name``), the
    core's rule in every language. ``match``: ``None`` (its scheme's signature header is present,
    the default), a header name (present), a ``(header, value)`` pair (equal), or ``"*"`` (every
    request; put it last). ``verify_tokens``: what a Meta-style ``GET ?hub.mode=subscribe``
    handshake's ``hub.verify_token`` must equal (one of them; compared in constant time, never shown).
    """

    def __init__(
        self,
        name: t.Optional[str] = None,
        verifier: t.Optional[Verifier] = None,
        *,
        match: _Match = None,
        verify_tokens: t.Optional[t.Sequence[str]] = None,
        **verifier_options: t.Any,
    ) -> None:
        if verify_tokens is not None and (
            isinstance(verify_tokens, (str, bytes)) or not all(isinstance(v, str) for v in verify_tokens)
        ):
            raise _invalid("verify_tokens must be a list of str")
        self._verify_tokens = list(verify_tokens or [])
        if verifier is None:
            verifier = Verifier(**verifier_options)
        elif verifier_options:
            raise _invalid("give a verifier or verifier options (scheme=, secret=...), not both")
        elif not isinstance(verifier, Verifier):
            raise _invalid(f"verifier must be a hookverify.Verifier, got {type(verifier).__name__}")
        if name is not None and (not isinstance(name, str) or not name):
            raise _invalid("a provider's name must be a non-empty str (or None: the scheme's name)")
        # The Python spellings of the core's match rule ("*", "signature", {header}, [header, value]).
        rule: t.Any
        if match is None or match == "*":
            rule = match
        elif isinstance(match, str):
            rule = {"header": match}
        elif isinstance(match, tuple) and len(match) == 2 and all(isinstance(m, str) for m in match):
            rule = list(match)
        else:
            raise _invalid(f"match must be None, '*', a header name or a (header, value) pair, got {match!r}")
        #: The name given (None: the core names the provider after its scheme; see ``Receiver.provider_names``).
        self.name, self.verifier, self.match, self._rule = name, verifier, match, rule

    def __repr__(self) -> str:
        return f"Provider({self.name!r}, {self.verifier!r}, match={self.match!r})"


class Router:
    """Event-type patterns to callables, matched by the core's rules: exact, ``prefix.*``, ``*``,
    and a plain name takes its dotted sub-types (GitHub ``issues`` takes ``issues.opened``)."""

    def __init__(self) -> None:
        self.routes: t.List[t.Tuple[str, Handler]] = []
        self.fallback: t.Optional[Handler] = None

    def on(self, pattern: str, handler: t.Optional[Handler] = None) -> t.Any:
        """Adds ``handler`` for ``pattern``; without ``handler``, a decorator."""
        if not isinstance(pattern, str):
            raise _invalid("pattern must be a str")
        if handler is None:
            return lambda fn: self.on(pattern, fn)
        self.routes.append((pattern, handler))
        return handler

    def unhandled(self, handler: Handler) -> Handler:
        """The callable chosen when no pattern matches."""
        self.fallback = handler
        return handler

    def matches(self, event_type: str) -> t.List[Handler]:
        """The callables for ``event_type`` in registration order: those of the specific patterns
        that match, else those of ``*`` (a fallback), else the ``unhandled`` one, else none."""
        patterns = [p for p, _ in self.routes]
        handlers = [h for _, h in self.routes] + ([self.fallback] if self.fallback is not None else [])
        return [handlers[i] for i in _native.select_routes(patterns, event_type, self.fallback is not None)]

    def dispatch(self, event: Event) -> t.List[t.Any]:
        """Calls every matching callable with ``event``; returns their results."""
        return [h(event) for h in self.matches(event.type)]


class Receiver:
    """One webhook endpoint: providers (or one ``scheme=``/``secret=``), a store, handlers, a mode.

    ``mode="async"`` answers 202 once a delivery is verified and claimed, then runs its handlers;
    ``mode="sync"`` (or a request with ``Hookverify-Sync: true``) runs them first and answers
    200/500 (404 when none matched). Handlers get the ``Event``; one that raises fails the delivery,
    which releases the claim so the sender's retry runs it again.

    Duplicates are recognised by the key ``namespace|provider|id`` (``Delivery.key``), never by the
    request path: every URL spelling a framework routes to this endpoint is one delivery.
    ``namespace`` (default none) names the endpoint when several receivers share one store. ``id``
    is the event id when the signature covers it, else a ``sha256:`` digest of the signed content
    (GitHub, Shopify: their delivery-id headers are not signed); ``Event.id`` stays the header's id.

    In async mode at most ``max_queue`` deliveries wait for or run on the ``max_workers`` threads;
    beyond that a request is answered 503 ``overloaded`` (``Retry-After``) before anything is
    claimed. A queued delivery's claim is taken again (fresh lease, new fencing token) when a worker
    starts it, so the lease covers the handlers' work, not the wait.
    """

    def __init__(
        self,
        providers: t.Optional[t.Sequence[Provider]] = None,
        *,
        store: t.Optional[AnyStore] = None,
        mode: str = "async",
        unhandled_status: t.Optional[int] = None,
        lease: t.Optional[float] = None,
        retention: t.Optional[float] = None,
        namespace: t.Optional[str] = None,
        allow_sync_header: bool = True,
        sync_header: t.Union[None, str, bool, t.Dict[str, str]] = None,
        base_path: t.Optional[str] = None,
        max_workers: int = 4,
        max_queue: int = DEFAULT_MAX_QUEUE,
        **verifier_options: t.Any,
    ) -> None:
        if providers is None:
            providers = [Provider(**verifier_options)]
        elif verifier_options:
            raise _invalid("give providers=[...] or scheme=/secret= options, not both")
        if isinstance(providers, (str, bytes)) or not all(isinstance(p, Provider) for p in providers):
            raise _invalid("providers must be a list of hookverify.Provider")
        custom = _is_custom(store)
        if store is not None and not isinstance(store, Store) and not custom:
            raise _invalid(
                "store must be a hookverify.MemoryStore or RedisStore, or an object with claim, complete and "
                f"release methods (hookverify.CustomStore); got {type(store).__name__}"
            )
        if type(max_workers) is not int or max_workers <= 0:
            raise _invalid(f"max_workers must be a positive int, got {max_workers!r}")
        if type(max_queue) is not int or max_queue <= 0:
            raise _invalid(f"max_queue must be a positive int, got {max_queue!r}")
        self.providers = list(providers)
        self.store: AnyStore = store if store is not None else MemoryStore()
        #: A store that is Python code (claim / complete / release), asked between the core's steps.
        self._custom: t.Any = store if custom else None
        self._native_store = _native.Store.external() if custom else t.cast(Store, self.store)._native
        #: Whether the core's own store calls do network I/O (async paths then use a thread).
        self._may_block = False if custom else t.cast(Store, self.store).may_block
        self.mode = mode
        # Every other option goes to the core's ReceiverConfig (which checks and defaults it) under
        # its own keyword name (the core accepts these spellings).
        given = dict(
            sync_header=sync_header,
            base_path=base_path,
            unhandled_status=unhandled_status,
            lease=lease,
            retention=retention,
            namespace=namespace,
        )
        if allow_sync_header is not True:
            given["allow_sync_header"] = allow_sync_header
        self._options: t.Dict[str, t.Any] = {k: v for k, v in given.items() if v is not None}
        self._routes: t.List[t.Tuple[str, t.Optional[str], t.Optional[str], Handler]] = []
        self._fallback: t.Optional[Handler] = None
        self._pipeline: t.Optional[_native.Pipeline] = None
        self._lock = threading.Lock()
        self._max_workers = max_workers
        self._executor: t.Optional[ThreadPoolExecutor] = None
        self._pending: "set[Future[t.Optional[Decision]]]" = set()
        self.max_queue = max_queue
        # One slot per async delivery accepted and not yet finished (waiting or running).
        self._slots = threading.BoundedSemaphore(max_queue)
        self._tasks: "set[asyncio.Task[t.Any]]" = set()
        self.pipeline  # fail fast on bad options

    # ------------------------------------------------------------ configuration

    def on(
        self,
        pattern: str,
        handler: t.Optional[Handler] = None,
        *,
        provider: t.Optional[str] = None,
        path: t.Optional[str] = None,
    ) -> t.Any:
        """Adds a handler for an event-type pattern, optionally limited to a provider and/or path.
        Without ``handler``, a decorator."""
        if handler is None:
            return lambda fn: self.on(pattern, fn, provider=provider, path=path)
        _callable(handler)
        with self._lock:
            self._routes.append((pattern, provider, path, handler))
            try:
                self._build()  # the core checks the pattern, provider and path now
            except BaseException:
                self._routes.pop()
                raise
        return handler

    def unhandled(self, handler: Handler) -> Handler:
        """The handler for event types no route takes."""
        _callable(handler)
        with self._lock:
            self._fallback, self._pipeline = handler, None
        return handler

    @property
    def pipeline(self) -> "_native.Pipeline":
        """The compiled core receiver (rebuilt after ``on``/``unhandled``; claims live in the store)."""
        pipeline = self._pipeline  # the built one without the lock: on()/unhandled() only ever clear it
        if pipeline is not None:
            return pipeline
        with self._lock:
            if self._pipeline is None:
                self._build()
            return t.cast("_native.Pipeline", self._pipeline)

    def _build(self) -> None:
        """Builds the pipeline from the core's ReceiverConfig (with the lock held)."""
        providers = []
        for p in self.providers:
            entry: t.Dict[str, t.Any] = {} if p.name is None else {"name": p.name}
            if p._rule is not None:
                entry["match"] = p._rule
            if p._verify_tokens:
                entry["verify_tokens"] = p._verify_tokens
            providers.append(entry)
        config = dict(
            self._options,
            mode=self.mode,
            providers=providers,
            routes=[{"pattern": pat, "provider": prov, "path": path} for pat, prov, path, _ in self._routes],
            unhandled=self._fallback is not None,
        )
        try:
            text = json.dumps(config, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise _invalid(
                f"receiver options: {type(e).__name__}: not representable as JSON (NaN, infinity, or an object)"
            ) from None
        handlers = [h for *_, h in self._routes] + ([self._fallback] if self._fallback is not None else [])
        verifiers = [p.verifier for p in self.providers]
        self._pipeline = _native.Pipeline(text, store=self._native_store, verifiers=verifiers, handlers=handlers)

    def set_secrets(self, provider: str, secrets: t.Sequence[str]) -> None:
        """Replaces the live secrets of the provider named ``provider``, atomically (as
        ``Verifier.set_secrets``, whose verifier it rotates): deliveries being verified finish with
        the old secrets, later ones use the new. Unknown name: ``invalid_argument``."""
        self.pipeline.set_secrets(provider, secrets)

    @property
    def max_body_bytes(self) -> int:
        """The largest body any provider accepts (integrations answer 413 above it without reading)."""
        return self.pipeline.max_body_bytes

    def metrics(self) -> Metrics:
        """Counters and latency histograms of every answer and of the handler runs after an async
        answer, by provider, outcome and error code (the core's metrics; spec/metrics.md)."""
        snapshot: Metrics = json.loads(self.pipeline.metrics_json())
        return snapshot

    def prometheus(self) -> str:
        """The same metrics in the Prometheus text exposition format, for a ``/metrics`` route."""
        return self.pipeline.prometheus()

    @property
    def provider_names(self) -> t.List[str]:
        """The providers' names, in match order (the core's: a provider without one is named after its scheme)."""
        return self.pipeline.provider_names

    # ------------------------------------------------------------ the sans-IO steps

    def begin(
        self, path: str, body: t.Any, headers: t.Any, now: t.Optional[int] = None, *, method: str = "POST"
    ) -> t.Union[Decision, Delivery]:
        """Verify, parse, route and claim: a ``Decision`` to send now, or a ``Delivery`` to run.

        Arguments are ``(path, body, headers)``: body before headers, as everywhere in hookverify.
        ``method``: the request's HTTP method; any but ``POST`` is answered by the core (a handshake
        a provider's scheme declares, e.g. Meta's ``GET ?hub.mode=subscribe``, else 405)."""
        if self._custom is None:
            step = self.pipeline.begin(path, headers, body, now, method)
            return _answer(step) if isinstance(step, tuple) else step
        pipeline = self.pipeline
        pending = pipeline.begin_external(path, headers, body, now, method)
        if isinstance(pending, tuple):
            return _answer(pending)
        return self._claimed(pipeline, pending, _ask(self._custom.claim, pending.key, pending.lease_ms))

    @staticmethod
    def _claimed(
        pipeline: "_native.Pipeline", pending: "_native.PendingClaim", claim: str
    ) -> t.Union[Decision, Delivery]:
        step = pipeline.claimed(pending, claim)
        return _answer(step) if isinstance(step, tuple) else step

    def accepted(self, delivery: Delivery) -> Decision:
        """The 202 answer of an async delivery, sent before its handlers run."""
        _delivery(delivery)
        return _decision(self.pipeline.accepted(delivery))

    def finish(self, delivery: Delivery, ok: bool) -> Decision:
        """Complete (``ok``) or release the claim; the answer of a sync delivery."""
        _delivery(delivery)
        if not isinstance(ok, bool):
            raise _invalid(f"ok must be a bool, got {type(ok).__name__}")
        custom = self._custom
        if custom is None:
            return _decision(self.pipeline.finish(delivery, ok))
        pipeline = self.pipeline
        if not ok:
            _ask(custom.release, delivery.key, delivery.token)  # best effort: the lease expires anyway
            return _decision(pipeline.finished(delivery, None))
        return _decision(
            pipeline.finished(delivery, _ask(custom.complete, delivery.key, delivery.token, pipeline.retention_ms))
        )

    async def _finish_async(self, delivery: Delivery, ok: bool) -> Decision:
        """``finish`` from the event loop: a store that does I/O is awaited (or run in a thread)."""
        custom = self._custom
        if custom is None:
            if self._may_block:
                return await asyncio.get_running_loop().run_in_executor(None, self.finish, delivery, ok)
            return self.finish(delivery, ok)
        _delivery(delivery)
        if not isinstance(ok, bool):
            raise _invalid(f"ok must be a bool, got {type(ok).__name__}")
        pipeline = self.pipeline
        if not ok:
            await _ask_async(custom.release, delivery.key, delivery.token)  # best effort
            return _decision(pipeline.finished(delivery, None))
        completion = await _ask_async(custom.complete, delivery.key, delivery.token, pipeline.retention_ms)
        return _decision(pipeline.finished(delivery, completion))

    def too_large(self, length: t.Optional[int]) -> t.Optional[Decision]:
        """The core's 413 when a body of ``length`` bytes (declared, or read so far) is over every
        provider's cap; None when it is within it (or unknown)."""
        if length is None or length < 0:
            return None
        # A declared length past any real size (a header of 30 digits) is still a plain 413.
        step = self.pipeline.too_large(min(length, 2**64 - 1))
        return None if step is None else _answer(step)

    def overloaded(self) -> Decision:
        """The core's 503 ``overloaded`` answer (``Retry-After``) of a full handler queue."""
        return _answer(_native.overloaded_decision(min(self.max_queue, sys.maxsize)))

    def reserve(self) -> bool:
        """Takes one of the ``max_queue`` slots for an async delivery before ``begin``; False when the
        queue is full (answer ``overloaded()``). ``handle`` and the integrations do this and give the
        slot back when the delivery's handlers are done; with the sans-IO steps, call ``unreserve``."""
        return self._slots.acquire(blocking=False)

    def unreserve(self) -> None:
        """Gives back a slot ``reserve`` took that no deferred delivery will use."""
        self._slots.release()

    # ------------------------------------------------------------ running handlers

    def run(self, delivery: Delivery, **kwargs: t.Any) -> bool:
        """Runs the handlers in order; an exception (logged) fails the delivery. Coroutines are run to completion.

        A handler that declares a ``delivery`` parameter also gets the :class:`Delivery`
        (its fencing ``token``, ``provider``, ``path``, ``query``)."""
        for handler in delivery.handlers:
            try:
                result = handler(delivery.event, **_with_delivery(handler, delivery, kwargs))
                if result is not None and inspect.isawaitable(result):
                    asyncio.run(_await(result))
            except Exception:
                log.exception("hookverify: handler %r failed for event %s", handler, _safe(delivery.event.id))
                return False
        return True

    async def run_async(self, delivery: Delivery, **kwargs: t.Any) -> bool:
        """Like ``run`` on an event loop: coroutine handlers are awaited, plain ones run in a thread."""
        return bool(await self._run_async(delivery, False, kwargs))

    async def _run_async(self, delivery: Delivery, start: bool, kwargs: t.Dict[str, t.Any]) -> t.Optional[bool]:
        """``run_async``; with ``start``, ``_start`` runs first (in the first plain handler's thread,
        so a wait for the executor is not spent under the lease) and None means "not run"."""
        loop = asyncio.get_running_loop()
        if start and self._custom is not None:
            # The store's methods may be the event loop's (async def): the claim is taken again here.
            start = False
            if not self._go(delivery, await self._reclaim_async(delivery)):
                return None
        for handler in delivery.handlers:
            try:
                args = _with_delivery(handler, delivery, kwargs)
                if inspect.iscoroutinefunction(handler):
                    if start:
                        start = False
                        go = (
                            await loop.run_in_executor(None, self._start, delivery)
                            if self._may_block
                            else self._start(delivery)
                        )
                        if not go:
                            return None
                    result = await handler(delivery.event, **args)
                else:
                    call = functools.partial(handler, delivery.event, **args)
                    if start:
                        start = False
                        go, result = await loop.run_in_executor(None, self._start_then, delivery, call)
                        if not go:
                            return None
                    else:
                        result = await loop.run_in_executor(None, call)
                    if inspect.isawaitable(result):
                        await result
            except Exception:
                log.exception("hookverify: handler %r failed for event %s", handler, _safe(delivery.event.id))
                return False
        return True

    def complete(
        self, delivery: Delivery, context: t.Optional[t.Callable[[], t.ContextManager[t.Any]]] = None, **kwargs: t.Any
    ) -> Decision:
        """Runs the handlers then ``finish`` (optionally inside ``context()``, e.g. a Flask app context)."""
        if context is None:
            return self.finish(delivery, self.run(delivery, **kwargs))
        with context():
            return self.finish(delivery, self.run(delivery, **kwargs))

    async def complete_async(self, delivery: Delivery, **kwargs: t.Any) -> t.Optional[Decision]:
        """``run_async`` then ``finish`` (in a thread when the store does network I/O).

        For an async delivery (``delivery.sync`` false) this is the deferred work: the claim is
        taken again when it starts (see ``defer``), a lost lease is logged, and None means another
        copy of the delivery had it, so nothing ran."""
        if delivery.sync:
            ok = await self.run_async(delivery, **kwargs)
            return await self._finish_async(delivery, ok)
        ran = await self._run_async(delivery, True, kwargs)
        if ran is None:
            return None
        decision = await self._finish_async(delivery, ran)
        _log_lease(delivery, decision)
        return decision

    def _start(self, delivery: Delivery) -> bool:
        """A worker picks a queued async delivery up: its claim is taken again (a fresh lease and a
        higher fencing token), so the lease covers the handlers' work, not the wait in the queue.
        Whether to run it: not when another copy completed it or holds it (that copy runs it)."""
        return self._go(delivery, self._reclaim(delivery))

    def _reclaim(self, delivery: Delivery) -> str:
        """The core's ``start`` outcome; over a Python store, its release then claim (as the core's
        ``Receiver::reclaim`` does over its own store), the outcome read by the core."""
        custom = self._custom
        if custom is None:
            return self.pipeline.start(delivery)
        pipeline = self.pipeline
        try:
            _call(custom.release, delivery.key, delivery.token)
        except Exception as exc:
            return pipeline.restarted(delivery, _failed(exc))
        return pipeline.restarted(delivery, _ask(custom.claim, delivery.key, pipeline.lease_ms))

    async def _reclaim_async(self, delivery: Delivery) -> str:
        """``_reclaim`` over a Python store, from the event loop."""
        custom, pipeline = self._custom, self.pipeline
        try:
            await _call_async(custom.release, delivery.key, delivery.token)
        except Exception as exc:
            return pipeline.restarted(delivery, _failed(exc))
        return pipeline.restarted(delivery, await _ask_async(custom.claim, delivery.key, pipeline.lease_ms))

    def _go(self, delivery: Delivery, outcome: str) -> bool:
        """Whether to run a started delivery, given what taking its claim again came to (logged)."""
        if outcome == "run":
            return True
        event_id = _safe(delivery.event.id)
        if outcome == "unavailable":
            log.warning(
                "hookverify: the store failed when event %s started; running it under its first claim (token %d)",
                event_id,
                delivery.token,
            )
            return True
        if outcome == "done":
            log.info(
                "hookverify: event %s was completed by another delivery while this one was queued; not run again",
                event_id,
            )
        else:
            log.warning(
                "hookverify: event %s waited in the queue longer than its lease and another delivery claimed it; "
                "that one runs it (raise lease= or max_workers=, or lower max_queue=)",
                event_id,
            )
        return False

    def _start_then(self, delivery: Delivery, call: t.Callable[[], t.Any]) -> t.Tuple[bool, t.Any]:
        return (True, call()) if self._start(delivery) else (False, None)

    def _deferred(
        self,
        delivery: Delivery,
        context: t.Optional[t.Callable[[], t.ContextManager[t.Any]]],
        kwargs: t.Dict[str, t.Any],
    ) -> t.Optional[Decision]:
        if not self._start(delivery):
            return None
        decision = self.complete(delivery, context, **kwargs)
        _log_lease(delivery, decision)
        return decision

    def defer(
        self, delivery: Delivery, context: t.Optional[t.Callable[[], t.ContextManager[t.Any]]] = None, **kwargs: t.Any
    ) -> "Future[t.Optional[Decision]]":
        """Runs the handlers on this receiver's thread pool (async mode); see ``wait``.

        When a worker starts it, the delivery's claim is taken again (a fresh lease, a higher
        fencing token in ``delivery.token``); if another copy completed or holds it meanwhile,
        nothing runs and the future's result is None. Else the result is ``complete``'s decision;
        a lost lease (``Hookverify-Warning``) is logged as a warning."""
        return self._submit(delivery, context, kwargs, False)

    def _submit(
        self, delivery: Delivery, context: t.Any, kwargs: t.Dict[str, t.Any], reserved: bool
    ) -> "Future[t.Optional[Decision]]":
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self._max_workers, thread_name_prefix="hookverify")
            try:
                future = self._executor.submit(self._deferred, delivery, context, kwargs)
            except BaseException:
                if reserved:
                    self._slots.release()
                raise
            self._pending.add(future)
        if reserved:
            future.add_done_callback(lambda _: self._slots.release())
        future.add_done_callback(self._pending.discard)
        return future

    def wait(self, timeout: t.Optional[float] = None) -> bool:
        """Waits for deferred handlers (tests, graceful shutdown); whether all finished in time."""
        from concurrent.futures import wait

        with self._lock:
            pending = list(self._pending)
        return not wait(pending, timeout).not_done

    def handle(
        self,
        path: str,
        body: t.Any,
        headers: t.Any,
        now: t.Optional[int] = None,
        *,
        context: t.Optional[t.Callable[[], t.ContextManager[t.Any]]] = None,
        method: str = "POST",
        **kwargs: t.Any,
    ) -> Decision:
        """The whole path for a blocking server: begin, then run now (sync) or on the pool (async).

        In async mode a full queue (``max_queue``) is answered 503 ``overloaded`` before ``begin``."""
        queued = self.mode == "async"
        if queued and not self._slots.acquire(blocking=False):
            return self.overloaded()
        try:
            step = self.begin(path, body, headers, now, method=method)
        except BaseException:
            if queued:
                self._slots.release()
            raise
        if isinstance(step, Decision) or step.sync:
            if queued:
                self._slots.release()
            return step if isinstance(step, Decision) else self.complete(step, **kwargs)
        answer = self.accepted(step)
        self._submit(step, context, kwargs, queued)
        return answer

    async def begin_async(
        self, path: str, body: t.Any, headers: t.Any, now: t.Optional[int] = None, *, method: str = "POST"
    ) -> t.Union[Decision, Delivery]:
        """``begin`` without blocking the event loop on store I/O (Redis) or hashing a large body."""
        size = len(body) if isinstance(body, (bytes, bytearray, memoryview, str)) else 0  # other types: begin raises
        large = size > _native.DETACH_ABOVE_BYTES
        custom = self._custom
        if custom is None:
            if self._may_block or large:
                return await asyncio.get_running_loop().run_in_executor(
                    None, functools.partial(self.begin, path, body, headers, now, method=method)
                )
            return self.begin(path, body, headers, now, method=method)
        pipeline = self.pipeline
        if large:
            pending = await asyncio.get_running_loop().run_in_executor(
                None, pipeline.begin_external, path, headers, body, now, method
            )
        else:
            pending = pipeline.begin_external(path, headers, body, now, method)
        if isinstance(pending, tuple):
            return _answer(pending)
        return self._claimed(pipeline, pending, await _ask_async(custom.claim, pending.key, pending.lease_ms))

    def __repr__(self) -> str:
        names = self.provider_names
        return f"Receiver(providers={names}, store={self.store!r}, mode={self.mode!r}, routes={len(self._routes)})"


class _Routes:
    """``on`` and ``unhandled`` of an integration object that wraps a ``receiver`` (Flask's
    ``WebhookBlueprint``, FastAPI's ``Webhook``): they add the receiver's handlers."""

    receiver: Receiver

    def on(
        self,
        pattern: str,
        handler: t.Optional[Handler] = None,
        *,
        provider: t.Optional[str] = None,
        path: t.Optional[str] = None,
    ) -> t.Any:
        """Adds a handler (sync or async) for an event-type pattern, optionally one provider's or
        one path's; without ``handler``, a decorator. See ``Receiver.on``."""
        return self.receiver.on(pattern, handler, provider=provider, path=path)

    def unhandled(self, handler: Handler) -> Handler:
        """The handler for event types no route takes."""
        return self.receiver.unhandled(handler)


async def _await(awaitable: t.Any) -> t.Any:
    return await awaitable


@functools.lru_cache(maxsize=1024)
def _wants_delivery(handler: t.Callable[..., t.Any]) -> bool:
    """Whether a handler declares a ``delivery`` parameter (looked up once per handler)."""
    try:
        return "delivery" in inspect.signature(handler).parameters
    except (TypeError, ValueError):
        return False


def _log_lease(delivery: Delivery, decision: Decision) -> None:
    """An async delivery's lost lease (or unrecorded completion) is logged: nobody sees its answer."""
    for name, value in decision.headers:
        if name == "Hookverify-Warning":
            if value == "lease-lost":
                log.warning(
                    "hookverify: the lease of event %s (token %d) expired before its handlers finished; another "
                    "delivery may have run it too (its fencing token is higher)",
                    _safe(delivery.event.id),
                    delivery.token,
                )
            else:
                log.warning(
                    "hookverify: event %s (token %d) ran but its completion was not recorded (%s)",
                    _safe(delivery.event.id),
                    delivery.token,
                    value,
                )


def _with_delivery(
    handler: t.Callable[..., t.Any], delivery: Delivery, kwargs: t.Dict[str, t.Any]
) -> t.Dict[str, t.Any]:
    try:
        wants = _wants_delivery(handler)
    except TypeError:  # unhashable callable: inspect it each time
        wants = _wants_delivery.__wrapped__(handler)
    return {**kwargs, "delivery": delivery} if wants else kwargs
