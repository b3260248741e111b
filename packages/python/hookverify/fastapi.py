"""FastAPI/Starlette integration: a dependency giving the verified event, or a routed endpoint.

Dependency (your endpoint is the handler, and runs before the answer)::

    hook = Webhook(scheme="standard", secret="whsec_...")

    @app.post("/webhooks")
    async def receive(event: hv.Event = Depends(hook)):
        ...

The raw body is read with the cap enforced while reading: a declared Content-Length over it is
refused unread, a chunked body is cut off (413 ``payload_too_large``) as soon as it passes the cap.
A request the core answers at once (401, 400, 413, 409, 503, duplicate 200) raises
``WebhookResponse``, an ``HTTPException`` carrying the core's
status and headers with the core's JSON as ``detail``; ``install(app)`` makes it send the core's
body exactly. If the endpoint raises, the claim is released (a retry runs it again) and the
answer is the core's 500 (an ``HTTPException`` the endpoint raised is sent as is); if it returns,
the delivery is marked done.

Endpoint (handlers may be ``async def``; async mode answers 202 and runs them as a background
task after the response; at most ``max_queue`` of them are pending, beyond that the answer is 503
``overloaded`` before anything is claimed)::

    hook = Webhook(scheme="standard", secret="whsec_...", mode="async")

    @hook.on("user.created")
    async def created(event): ...

    app.add_api_route("/webhooks", hook.endpoint, methods=["POST"])
"""

import asyncio
import typing as t

from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ._native import Event
from ._receiver import AnyStore, Decision, Provider, Receiver, _Routes, _safe, log

__all__ = ["Webhook", "WebhookResponse", "install", "to_response"]


def to_response(decision: Decision, background: t.Optional[BackgroundTask] = None) -> Response:
    """The core's decision as a Starlette response."""
    return Response(decision.body, status_code=decision.status, headers=dict(decision.headers), background=background)


class WebhookResponse(HTTPException):
    """The core answered without running the endpoint; ``decision`` is that answer."""

    def __init__(self, decision: Decision) -> None:
        # A handshake's answer may be text/plain (a challenge echoed): the body as is then.
        json_body = dict(decision.headers).get("Content-Type") == "application/json"
        super().__init__(
            decision.status, detail=decision.json() if json_body else decision.body, headers=dict(decision.headers)
        )
        self.decision = decision


async def _send_decision(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WebhookResponse)
    return to_response(exc.decision)


def install(app: t.Any) -> None:
    """Makes ``WebhookResponse`` answer with the core's body verbatim (not wrapped in ``detail``)."""
    app.add_exception_handler(WebhookResponse, _send_decision)


def _target(request: Request) -> str:
    query = request.url.query
    return request.url.path + ("?" + query if query else "")


class Webhook(_Routes):
    """A verified webhook endpoint: use it as ``Depends(hook)`` or route ``hook.endpoint``."""

    def __init__(
        self,
        receiver: t.Optional[Receiver] = None,
        *,
        providers: t.Optional[t.Sequence[Provider]] = None,
        store: t.Optional[AnyStore] = None,
        mode: str = "async",
        **options: t.Any,
    ) -> None:
        self.receiver = receiver or Receiver(providers, store=store, mode=mode, **options)
        self._any: t.Optional[Receiver] = None

    async def _begin(self, receiver: Receiver, request: Request) -> t.Union[Decision, t.Any]:
        body = await _read_body(receiver, request)
        if isinstance(body, Decision):
            return body
        return await receiver.begin_async(_target(request), body, request.headers, method=request.method)

    async def __call__(self, request: Request) -> t.AsyncIterator[Event]:
        """The dependency: yields the verified, claimed event; the endpoint's outcome completes or releases it."""
        if self._any is None:
            # Same providers, store and options, one catch-all route: the endpoint is the handler.
            self._any = Receiver(
                self.receiver.providers, store=self.receiver.store, mode="sync", **_options(self.receiver)
            )
            self._any.on("*", _endpoint_is_the_handler)
        step = await self._begin(self._any, request)
        if isinstance(step, Decision):
            raise WebhookResponse(step)
        try:
            yield step.event
        except Exception as exc:
            if isinstance(exc, HTTPException):  # the endpoint's own answer: still a failed delivery
                await self._finish(step, False)
                raise
            log.error("hookverify: endpoint failed for event %s", _safe(step.event.id), exc_info=exc)
            raise WebhookResponse(await self._finish(step, False)) from exc
        except BaseException:
            await self._finish(step, False)
            raise
        await self._finish(step, True)

    async def _finish(self, delivery: t.Any, ok: bool) -> Decision:
        assert self._any is not None
        return await self._any._finish_async(delivery, ok)

    async def endpoint(self, request: Request) -> Response:
        """A route running the handlers: sync answers after them, async answers 202 then runs them."""
        r = self.receiver
        queued = r.mode == "async"
        if queued and not r.reserve():
            return to_response(r.overloaded())
        try:
            step = await self._begin(r, request)
        except BaseException:
            if queued:
                r.unreserve()
            raise
        if isinstance(step, Decision) or step.sync:
            if queued:
                r.unreserve()
            if isinstance(step, Decision):
                return to_response(step)
            return to_response(t.cast(Decision, await r.complete_async(step)))
        return _Accepted(r, step)


async def _read_body(receiver: Receiver, request: Request) -> t.Union[bytes, Decision]:
    """The raw body, or the core's 413 once more than ``receiver.max_body_bytes`` arrived (a
    declared Content-Length over it is refused before reading; a chunked body is cut off there)."""
    cap = receiver.max_body_bytes
    length = request.headers.get("content-length")
    if length is not None and length.isdigit():
        early = receiver.too_large(int(length))
        return early if early is not None else await request.body()
    chunks: t.List[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            return t.cast(Decision, receiver.too_large(size))
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # what Request.body() caches: the endpoint can still await request.body()
    return body


class _Accepted(Response):
    """The 202 of an async delivery; its handlers run as the background task after it is sent.
    If sending fails first (the client left), they still run: the delivery was claimed and the
    sender may have seen the 202. Either way the queue slot is given back when they are done."""

    def __init__(self, receiver: Receiver, delivery: t.Any) -> None:
        decision = receiver.accepted(delivery)
        super().__init__(
            decision.body,
            status_code=decision.status,
            headers=dict(decision.headers),
            background=BackgroundTask(self._work),
        )
        self._receiver, self._delivery, self._started = receiver, delivery, False

    async def _work(self) -> None:
        self._started = True
        try:
            await self._receiver.complete_async(self._delivery)
        finally:
            self._receiver.unreserve()

    async def __call__(self, scope: t.Any, receive: t.Any, send: t.Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            if not self._started:
                task = asyncio.ensure_future(self._work())
                tasks = self._receiver._tasks
                tasks.add(task)
                task.add_done_callback(tasks.discard)


def _endpoint_is_the_handler(event: Event) -> None:
    """Placeholder route of the dependency form: the endpoint itself does the work."""


def _options(r: Receiver) -> t.Dict[str, t.Any]:
    """The receiver's keyword options (besides providers, store and mode)."""
    return dict(r._options)
