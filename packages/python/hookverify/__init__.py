"""hookverify: receive webhooks correctly.

Verify the HMAC signature of the raw body in constant time for any scheme
(Standard Webhooks/Svix, Stripe, GitHub, Slack, Shopify, or a custom spec),
with several live secrets and a replay window, then read the event envelope::

    import hookverify as hv

    verifier = hv.Verifier(scheme="github", secret="It's a Secret to Everybody")
    verified = verifier.verify_signature(
        b"Hello, World!",
        {"X-Hub-Signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
    )
    assert verified.key_index == 0

All the work happens in the Rust core (``hookverify._native``); this package only runs handlers.
To receive webhooks (verify, dedup with ``MemoryStore``/``RedisStore``, route to handlers, answer
per the ack policy) use ``Receiver`` (``store=`` also takes your own store: see ``CustomStore``), or ``hookverify.flask`` / ``hookverify.fastapi``. When a
delivery does not verify, ``diagnose`` says why (checks and MAC-confirmed hints).
"""

from ._diagnose import Check, EventSummary, Hint, Report, diagnose
from ._errors import HookverifyError
from ._inbox import DEFAULT_REPLAY_LEASE, Inbox, ReplayResult, open_inbox
from ._native import (
    DEFAULT_MAX_BODY_BYTES,
    ERROR_CODES,
    HINT_CODES,
    SCHEMES,
    Delivery,
    Event,
    Verified,
    Verifier,
    __version__,
    sign,
)
from ._receiver import (
    DEFAULT_MAX_QUEUE,
    AnyStore,
    AsyncCustomStore,
    ClaimResult,
    Completion,
    CustomStore,
    Decision,
    MemoryStore,
    Metrics,
    Provider,
    Receiver,
    RedisStore,
    Router,
    Store,
)

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_QUEUE",
    "DEFAULT_REPLAY_LEASE",
    "ERROR_CODES",
    "HINT_CODES",
    "SCHEMES",
    "AnyStore",
    "AsyncCustomStore",
    "Check",
    "ClaimResult",
    "Completion",
    "CustomStore",
    "Decision",
    "Delivery",
    "Event",
    "EventSummary",
    "Hint",
    "HookverifyError",
    "Inbox",
    "MemoryStore",
    "Metrics",
    "Provider",
    "Receiver",
    "RedisStore",
    "Report",
    "ReplayResult",
    "Router",
    "Store",
    "Verified",
    "Verifier",
    "__version__",
    "diagnose",
    "open_inbox",
    "sign",
]
