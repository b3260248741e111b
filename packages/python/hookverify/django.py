"""Django integration: ``@webhook(...)`` on a function view, and ``WebhookView`` for a class-based one.

Both are CSRF-exempt by themselves (a sender has no CSRF token; the signature is the proof), accept
POST (and GET, for the handshakes some senders send as GET; the core answers any other GET 405;
other methods 405), read the raw body with the cap enforced while reading, run the core
pipeline and answer with its decision as an ``HttpResponse``: 401 bad signature or stale, 400
malformed envelope, 413 too large, 409 duplicate in progress, 503 store unavailable or handler
queue full, 200 duplicate already done; then 202 (async) or 200/500 (sync).

The body is read from the request stream, not ``request.body``, so Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB by default) does not apply: the receiver's
``max_body_bytes`` (25 MiB by default) does. A declared Content-Length over it is refused unread;
the body read is kept, so ``request.body`` still works in a handler.

Async mode (the default) answers 202 and runs the handlers on the receiver's thread pool; each
run closes the database connections Django opened for that thread when they are stale or unusable
(``close_old_connections``), as a request would. The trade-offs are Flask's (see
``hookverify.flask``): use ``mode="sync"`` when a failure must turn into a 500 and a retry.
"""

import contextlib
import functools
import typing as t

# Django's modules, not its names: this module's own surface is only __all__ (what stubtest checks).
import django.db
import django.http
import django.utils.decorators
import django.views
import django.views.decorators.csrf
import django.views.decorators.http

from ._receiver import AnyStore, Decision, Provider, Receiver

__all__ = ["WebhookView", "respond", "to_response", "webhook"]

_CHUNK = 64 * 1024


def to_response(decision: Decision) -> django.http.HttpResponse:
    """The core's decision as a Django response (JSON body, ``Retry-After`` when set)."""
    status, headers, body = decision
    return django.http.HttpResponse(body, status=status, headers=dict(headers))


def _target(request: django.http.HttpRequest) -> str:
    query = request.META.get("QUERY_STRING", "")
    return request.path + ("?" + query if query else "")


def _read_body(receiver: Receiver, request: django.http.HttpRequest) -> t.Union[bytes, Decision]:
    """The raw body, or the core's 413 once more than ``receiver.max_body_bytes`` arrived."""
    declared = request.META.get("CONTENT_LENGTH")
    if isinstance(declared, str) and declared.isdigit():
        early = receiver.too_large(int(declared))
        if early is not None:
            return early
    cap = receiver.max_body_bytes
    chunks: t.List[bytes] = []
    size = 0
    while True:
        chunk = request.read(_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > cap:
            return t.cast(Decision, receiver.too_large(size))
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # what request.body caches: handlers can still read it
    return body


@contextlib.contextmanager
def _db_connections() -> t.Iterator[None]:
    """Around a handler run on the pool: Django's per-request connection housekeeping."""
    django.db.close_old_connections()
    try:
        yield
    finally:
        django.db.close_old_connections()


def respond(receiver: Receiver, request: django.http.HttpRequest, **kwargs: t.Any) -> django.http.HttpResponse:
    """Runs ``request`` through ``receiver`` (handlers get the event and ``kwargs``)."""
    body = _read_body(receiver, request)
    if isinstance(body, Decision):
        return to_response(body)
    decision = receiver.handle(
        _target(request), body, request.headers, context=_db_connections, method=request.method or "POST", **kwargs
    )
    return to_response(decision)


def webhook(
    receiver: t.Optional[Receiver] = None,
    *,
    store: t.Optional[AnyStore] = None,
    mode: str = "async",
    providers: t.Optional[t.Sequence[Provider]] = None,
    **options: t.Any,
) -> t.Callable[[t.Callable[..., t.Any]], t.Callable[..., django.http.HttpResponse]]:
    """Turns a function view into a verified webhook endpoint; the view is called with the
    ``Event`` (and its URL keyword arguments) as the handler of every event type. ``options`` are
    ``Receiver``'s (``scheme=``, ``secret=``/``secrets=``, ``max_event_age=``, ``unhandled_status=``...).
    The answer is always the core's decision; the view's return value is ignored."""

    def decorate(view: t.Callable[..., t.Any]) -> t.Callable[..., django.http.HttpResponse]:
        r = receiver or Receiver(providers, store=store, mode=mode, **options)
        r.on("*", view)

        @django.views.decorators.csrf.csrf_exempt
        @django.views.decorators.http.require_http_methods(["GET", "POST"])
        @functools.wraps(view)
        def endpoint(request: django.http.HttpRequest, **view_kwargs: t.Any) -> django.http.HttpResponse:
            return respond(r, request, **view_kwargs)

        endpoint.receiver = r  # type: ignore[attr-defined]
        return endpoint

    return decorate


@django.utils.decorators.method_decorator(django.views.decorators.csrf.csrf_exempt, name="dispatch")
class WebhookView(django.views.View):
    """A class-based endpoint over a ``Receiver`` and its routes:
    ``path("hooks/", WebhookView.as_view(receiver=receiver))``. Handlers get the ``Event`` and
    the URL keyword arguments."""

    # GET too: handshakes some senders send as GET (Meta, Dropbox, Okta) reach the core.
    http_method_names = ["get", "post"]
    receiver: t.Optional[Receiver] = None

    def post(self, request: django.http.HttpRequest, *args: t.Any, **kwargs: t.Any) -> django.http.HttpResponse:
        if self.receiver is None:
            raise TypeError("WebhookView needs a receiver: WebhookView.as_view(receiver=Receiver(...))")
        return respond(self.receiver, request, **kwargs)

    def get(self, request: django.http.HttpRequest, *args: t.Any, **kwargs: t.Any) -> django.http.HttpResponse:
        return self.post(request, *args, **kwargs)
