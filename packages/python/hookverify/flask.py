"""Flask integration: ``@webhook(...)`` on a view, and ``WebhookBlueprint`` for routed handlers.

Both read the raw body, run the core pipeline and answer per its ack policy: 401 bad signature or
stale, 400 malformed envelope, 413 too large, 409 duplicate in progress, 503 store unavailable or
handler queue full, 200 duplicate already done; then 202 (async) or 200/404/500 (sync). The body is
read with the cap enforced while reading: a declared Content-Length over it is refused unread, a
chunked body is cut off (413 ``payload_too_large``) as soon as more than the cap has arrived.

Async mode (the default) answers 202 and runs the handlers on the receiver's thread pool, inside
an app context. The trade-off: the sender gets its answer fast and will not retry, but the work
lives only in this process — if it dies mid-handler the claim's lease (60 s) expires and only a
sender retry (which already got 202, so usually none) would run it again. Use ``mode="sync"`` (or
the sender's ``Hookverify-Sync: true`` header) when a failure must turn into a 500 and a retry;
``receiver.wait()`` drains the pool on shutdown. At most ``max_queue`` deliveries wait or run (503
``overloaded`` beyond), and a queued delivery's claim is taken again when its handlers start.
"""

import functools
import typing as t

import flask

from ._receiver import AnyStore, Decision, Provider, Receiver, _Routes

__all__ = ["WebhookBlueprint", "respond", "to_response", "webhook"]


_JSON_ONLY = [("Content-Type", "application/json")]
# werkzeug's own Request.content_length (a cached property), to know when reading the environ is the same.
_CONTENT_LENGTH = getattr(flask.Request, "content_length", None)


def to_response(decision: Decision) -> flask.Response:
    """The core's decision as a Flask response (JSON body, ``Retry-After`` when set)."""
    status, headers, body = decision
    if headers == _JSON_ONLY:  # most answers: the same response, without building a header list first
        return flask.Response(body, status=status, content_type="application/json")
    return flask.Response(body, status=status, headers=headers)


def _target(request: flask.Request) -> str:
    query = request.query_string.decode("latin-1")
    return request.path + ("?" + query if query else "")


def _content_length(request: flask.Request) -> t.Optional[int]:
    """``request.content_length``; a plain digits ``CONTENT_LENGTH`` without ``Transfer-Encoding``
    is read from the environ directly (the value werkzeug would parse, without its header lookups)."""
    env = request.environ
    value = env.get("CONTENT_LENGTH")
    if (
        type(value) is str
        and value.isdigit()
        and value.isascii()
        and "HTTP_TRANSFER_ENCODING" not in env
        and getattr(type(request), "content_length", None) is _CONTENT_LENGTH
        and "content_length" not in request.__dict__
    ):
        return int(value)
    return request.content_length


_CHUNK = 64 * 1024


def _read_body(receiver: Receiver, request: flask.Request) -> t.Union[bytes, Decision]:
    """The raw body, or the core's 413 once more than ``receiver.max_body_bytes`` arrived: a
    declared Content-Length over the cap is refused unread; a body without one (chunked) is read
    in bounded chunks and cut off just past the cap."""
    length = _content_length(request)
    if length is not None:
        early = receiver.too_large(length)
        # werkzeug's stream stops at the declared length: at most the cap is read.
        return early if early is not None else request.get_data()
    cap = receiver.max_body_bytes
    stream = request.stream
    chunks: t.List[bytes] = []
    size = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            body = b"".join(chunks)
            request._cached_data = body  # what get_data() caches: the view can still read it
            return body
        size += len(chunk)
        if size > cap:
            return t.cast(Decision, receiver.too_large(size))
        chunks.append(chunk)


def respond(receiver: Receiver, **kwargs: t.Any) -> flask.Response:
    """Runs the current request through ``receiver`` (handlers get the event and ``kwargs``)."""
    request = flask.request._get_current_object()  # type: ignore[attr-defined]
    body = _read_body(receiver, request)
    if isinstance(body, Decision):
        return to_response(body)
    app = flask.current_app._get_current_object()  # type: ignore[attr-defined]
    # request.headers is werkzeug's EnvironHeaders: the native side reads its environ dict directly.
    decision = receiver.handle(
        _target(request), body, request.headers, context=app.app_context, method=request.method, **kwargs
    )
    return to_response(decision)


def webhook(
    receiver: t.Optional[Receiver] = None,
    *,
    store: t.Optional[AnyStore] = None,
    mode: str = "async",
    providers: t.Optional[t.Sequence[Provider]] = None,
    **options: t.Any,
) -> t.Callable[[t.Callable[..., t.Any]], t.Callable[..., flask.Response]]:
    """Turns a view into a verified webhook endpoint; the view is called with the ``Event`` (and
    its URL variables) as the handler of every event type. ``options`` are ``Receiver``'s
    (``scheme=``, ``secret=``/``secrets=``, ``tolerance=``, ``unhandled_status=``, ``lease=``...).
    The answer is always the core's decision; the view's return value is ignored."""

    def decorate(view: t.Callable[..., t.Any]) -> t.Callable[..., flask.Response]:
        r = receiver or Receiver(providers, store=store, mode=mode, **options)
        r.on("*", view)

        @functools.wraps(view)
        def endpoint(**view_args: t.Any) -> flask.Response:
            return respond(r, **view_args)

        endpoint.receiver = r  # type: ignore[attr-defined]
        return endpoint

    return decorate


class WebhookBlueprint(flask.Blueprint, _Routes):
    """A blueprint with one POST (and GET, for handshakes) endpoint (``url``) for one or several providers (first match
    wins) and ``@bp.on("user.created")`` handlers, each called with the ``Event``."""

    def __init__(
        self,
        name: str,
        import_name: str,
        *,
        url: str = "/webhooks",
        receiver: t.Optional[Receiver] = None,
        providers: t.Optional[t.Sequence[Provider]] = None,
        store: t.Optional[AnyStore] = None,
        mode: str = "async",
        url_prefix: t.Optional[str] = None,
        **options: t.Any,
    ) -> None:
        super().__init__(name, import_name, url_prefix=url_prefix)
        self.receiver = receiver or Receiver(providers, store=store, mode=mode, **options)
        # GET too: the handshakes some senders send as GET (Meta, Dropbox, Okta) reach the core,
        # which answers any other GET 405.
        self.add_url_rule(url, endpoint="receive", view_func=lambda: respond(self.receiver), methods=["GET", "POST"])
